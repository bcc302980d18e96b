# Writes src/main/resources/dev/fst/baselines/linear-inputs.pt: a TorchScript module that recovers
# the per-sample inputs of a model's last Linear layer from the autograd graph of its logits. NGF
# (NaturalGradientTuner) needs those inputs for K-FAC; a TorchScript model has no DJL blocks to run
# one by one and DJL has no forward hooks, but the graph of the logits holds them.
#
# For logits Z = A W^T + b (B x C), the gradient of Z with respect to W along a cotangent U (B x C)
# is U^T A (C x d). With U[start + c, c] = 1 for c < count (and 0 elsewhere), row c of U^T A is the
# input of sample start + c, so each torch.autograd.grad call returns C samples' inputs, and
# ceil(B / C) calls return all of A. The graph is retained, so the training step's backward pass
# can follow. Nothing is stored in any .grad. The caller must check that A W^T + b reproduces Z:
# if W is used anywhere else, or Z is not the layer's output, the rows are something else.
#
# Run with a PyTorch that has TorchScript (written with Debian's python3-torch 1.13.1):
#   /usr/bin/python3 fst-baselines/scripts/make-linear-inputs.py
import os
from typing import List, Optional

import torch


class LinearInputs(torch.nn.Module):
    """forward(logits, weight) = [A], the inputs of the layer whose weight is `weight`.

    logits: a one-element list holding Z (B x C), part of an autograd graph that reaches the
    weight; weight: a one-element list holding W (C x d), which requires gradients. Returns a
    one-element list holding A (B x d), detached; all zeros when Z does not depend on W.
    """

    def forward(self, logits: List[torch.Tensor], weight: List[torch.Tensor]) -> List[torch.Tensor]:
        z = logits[0]
        w = weight[0]
        batch = z.size(0)
        classes = z.size(1)
        rows: List[torch.Tensor] = []
        for start in range(0, batch, classes):
            count = min(classes, batch - start)
            u = torch.zeros_like(z)
            u[start:start + count, 0:count] = torch.eye(count, dtype=z.dtype, device=z.device)
            cotangents: List[Optional[torch.Tensor]] = [u]
            grads = torch.autograd.grad([z], [w], grad_outputs=cotangents, retain_graph=True,
                                        allow_unused=True)
            g = grads[0]
            if g is None:
                rows.append(torch.zeros(count, w.size(1), dtype=w.dtype, device=w.device))
            else:
                rows.append(g[0:count])
        return [torch.cat(rows, 0)]


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "src", "main", "resources", "dev", "fst", "baselines",
                          "linear-inputs.pt")
    module = torch.jit.script(LinearInputs())
    # Self-check: 7 samples, 3 classes (three calls, the last one partial), and the graph survives.
    torch.manual_seed(0)
    layer = torch.nn.Linear(5, 3)
    a = torch.relu(torch.randn(7, 5))
    z = layer(a)
    (recovered,) = module([z], [layer.weight])
    assert torch.equal(recovered, a), (recovered - a).abs().max()
    z.sum().backward()
    assert layer.weight.grad is not None
    (unused,) = module([layer.bias.expand(7, 3) * 2], [layer.weight])
    assert torch.equal(unused, torch.zeros(7, 5))
    module.save(os.path.normpath(target))
    print("wrote", os.path.normpath(target))
