package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code torch.autograd.grad} for DJL's PyTorch engine, which does not expose it: a two-kilobyte
 * TorchScript module ({@code autograd-grad.pt}, written by {@code
 * fst-baselines/scripts/make-autograd-grad.py}) whose forward is that function, called through
 * DJL's IValue bridge on the tensors of the current autograd graph.
 *
 * <p><b>Why.</b> I-BAU needs Hessian-vector products of its inner loss. DJL can differentiate
 * twice through {@code JniUtils.backward(loss, ones, keepGraph = true, createGraph = true)}, which
 * leaves gradients that carry a graph in every leaf's {@code .grad}; but that leaks: measured for
 * this project, 300 create-graph backward passes on a 1000 x 1000 weight grew the process from
 * 186 MB to 2,610 MB (about 9.5 MB per step), while the same loop without create-graph stayed
 * flat (174 MB to 187 MB). PyTorch warns that {@code backward(create_graph=True)} makes a reference
 * cycle between a parameter and its {@code .grad} that only resetting {@code .grad} to {@code None}
 * breaks, and DJL 0.35.1 can only zero a gradient. {@code autograd.grad} returns the gradients
 * instead of storing them, so no cycle forms: 300 Hessian-vector products through this class on
 * the same 1000 x 1000 weight measured 190 MB before the first, 252 MB after 50 and 257 MB after
 * 300.
 *
 * <p>Central finite differences of first-order gradients, the other leak-free route, were
 * measured and rejected: on ReLU/max-pool networks the two evaluation points straddle activation
 * kinks, where the gradient jumps. The relative error of {@code H_dd v} against exact products was
 * 176 on the test CNN (8 images of 8 x 8) and 588 on ResNet-18 (8 images of 32 x 32) at a step of
 * 0.01, and grew at smaller steps (ResNet-18: 1,856 at 0.001, 9,967 at 0.0001); the resulting
 * hypergradient was off by 34% of its norm at 0.01 on ResNet-18, where the whole implicit term is
 * 0.8% of it.
 *
 * <p>The module is loaded once per JVM and called through {@link HelperModules}; it has no
 * parameters and works on any device.
 */
final class TorchAutograd {

    private static final String RESOURCE = "autograd-grad.pt";

    private TorchAutograd() {}

    /** The loaded module, created on first use and kept for the life of the JVM. */
    private static final class Holder {
        private static final Block MODULE = HelperModules.load(RESOURCE);
    }

    /**
     * Returns the gradient of a scalar with respect to each input, as {@code
     * torch.autograd.grad(output, inputs, retain_graph=True, create_graph=createGraph,
     * allow_unused=True)} with zeros for inputs the output does not depend on. Nothing is stored in
     * any {@code .grad}. Call it while a gradient recording is open (gradient mode on) when the
     * result must carry a graph or when further products are taken from it.
     *
     * @param output a scalar that depends on the inputs through the current graph
     * @param inputs tensors that require gradients
     * @param createGraph whether the gradients carry a graph (for a second differentiation)
     * @param scope the manager the returned arrays are attached to
     * @return one gradient per input, in order
     */
    static List<NDArray> grad(
            NDArray output, List<NDArray> inputs, boolean createGraph, NDManager scope) {
        NDArray flag = scope.create(new float[] {createGraph ? 1f : 0f});
        List<String> lists = new ArrayList<>(inputs.size() + 2);
        List<NDArray> arrays = new ArrayList<>(inputs.size() + 2);
        lists.add("outputs");
        arrays.add(output);
        for (NDArray input : inputs) {
            lists.add("inputs");
            arrays.add(input);
        }
        lists.add("flag");
        arrays.add(flag);
        NDList result = HelperModules.call(Holder.MODULE, lists, arrays);
        List<NDArray> gradients = new ArrayList<>(result.size());
        for (NDArray gradient : result) {
            gradient.attach(scope);
            gradients.add(gradient);
        }
        return gradients;
    }
}
