# Writes src/main/resources/dev/fst/baselines/autograd-grad.pt: a TorchScript module whose forward
# is torch.autograd.grad, which DJL 0.35.1 does not expose. I-BAU (ImplicitBackdoorUnlearner) calls
# it through DJL's IValue bridge to take exact Hessian-vector products without storing graph-carrying
# gradients in any tensor's .grad (the reference cycle that makes backward(create_graph=True) leak).
#
# Run with a PyTorch that has TorchScript (written with Debian's python3-torch 1.13.1):
#   /usr/bin/python3 fst-baselines/scripts/make-autograd-grad.py
import os
from typing import List

import torch


class AutogradGrad(torch.nn.Module):
    """forward(outputs, inputs, create_graph) = torch.autograd.grad(sum of outputs, inputs).

    outputs: scalars; inputs: tensors the outputs depend on; create_graph: a one-element list
    holding a tensor, > 0 for True (DJL's NDList bridge carries tensors only). The graph is
    always retained, so several products can be taken from one create-graph gradient. Inputs
    the outputs do not depend on get zeros.
    """

    def forward(self, outputs: List[torch.Tensor], inputs: List[torch.Tensor],
                create_graph: List[torch.Tensor]) -> List[torch.Tensor]:
        flag = bool(create_graph[0].item() > 0)
        grads = torch.autograd.grad(outputs, inputs, retain_graph=True, create_graph=flag,
                                    allow_unused=True)
        result: List[torch.Tensor] = []
        for i in range(len(inputs)):
            g = grads[i]
            if g is None:
                result.append(torch.zeros_like(inputs[i]))
            else:
                result.append(g)
        return result


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "src", "main", "resources", "dev", "fst", "baselines",
                          "autograd-grad.pt")
    module = torch.jit.script(AutogradGrad())
    # Self-check: d/dx of sum(x^3) is 3x^2; its product with v = 1 is 6x.
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    (g,) = module([(x ** 3).sum()], [x], [torch.ones(1)])
    (h,) = module([(g * torch.ones(3)).sum()], [x], [torch.zeros(1)])
    assert torch.allclose(g, 3 * x ** 2) and torch.allclose(h, 6 * x)
    module.save(os.path.normpath(target))
    print("wrote", os.path.normpath(target))
