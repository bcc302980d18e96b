package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import dev.fst.head.HeadLayer;
import java.util.List;

/**
 * The per-sample inputs of the linear layer that produces a model's logits, read back from the
 * autograd graph of the logits, for any model (TorchScript modules included, which have no DJL
 * blocks to run one by one, and DJL has no forward hooks).
 *
 * <p>For logits {@code Z = A W^T + b} (B x C) the gradient of {@code Z} with respect to {@code W}
 * along a cotangent {@code U} (B x C) is {@code U^T A} (C x d). With {@code U[s + c, c] = 1} for
 * {@code c < C}, row {@code c} of it is the input of sample {@code s + c}; so one {@code
 * torch.autograd.grad} call returns the inputs of {@code C} samples, and {@code ceil(B / C)} calls
 * return all of {@code A}. The calls run inside the helper module {@code linear-inputs.pt} (written
 * by {@code fst-baselines/scripts/make-linear-inputs.py}); the graph is retained for the training
 * step's own backward pass and nothing is stored in any {@code .grad}. Each call walks the graph
 * from the logits to {@code W} only, so its cost is one small matrix product.
 *
 * <p>The rows are the layer's inputs only if {@code W} enters the logits through that one product:
 * {@link #checkReproduces} tells.
 */
final class LinearInputs {

    private static final String RESOURCE = "linear-inputs.pt";

    /** Relative tolerance of {@link #checkReproduces}, against the largest logit. */
    static final double TOLERANCE = 1e-4;

    private LinearInputs() {}

    /** The loaded module, created on first use and kept for the life of the JVM. */
    private static final class Holder {
        private static final Block MODULE = HelperModules.load(RESOURCE);
    }

    /**
     * Returns the inputs of {@code layer} that produced {@code logits}. Call it before the backward
     * pass that frees the graph; no gradient recording needs to be open.
     *
     * @param logits shape (B, C), part of an autograd graph that reaches the layer's weight
     * @param layer the layer, whose weight requires gradients, of shape (C, d)
     * @param scope owner of the result
     * @return shape (B, d), no gradient; all zeros if the logits do not depend on the weight
     */
    static NDArray recover(NDArray logits, HeadLayer layer, NDManager scope) {
        NDArray inputs =
                HelperModules.call(
                                Holder.MODULE,
                                List.of("logits", "weight"),
                                List.of(logits, layer.weight().getArray()))
                        .singletonOrThrow();
        inputs.attach(scope);
        return inputs;
    }

    /**
     * Checks that inputs read back by {@link #recover} give the logits through the layer: {@code
     * max |A W^T + b - Z| <= TOLERANCE * max |Z|}. It fails when the logits are not the layer's
     * output (post-processed, scaled, or made by another layer) or the weight is also used
     * elsewhere in the model.
     *
     * @param inputs the recovered inputs, shape (B, d)
     * @param logits the logits they were read from, shape (B, C)
     * @param layer the layer
     * @param method the method's name, for the message
     * @param scope manager of the temporaries
     * @throws IllegalArgumentException if the inputs do not reproduce the logits
     */
    static void checkReproduces(
            NDArray inputs, NDArray logits, HeadLayer layer, String method, NDManager scope) {
        NDArray weight = layer.weight().getArray().stopGradient();
        weight.attach(scope);
        NDArray output = inputs.matMul(weight.transpose());
        output.attach(scope);
        if (layer.bias() != null) {
            NDArray bias = layer.bias().getArray().stopGradient();
            bias.attach(scope);
            output = output.add(bias);
        }
        NDArray target = logits.stopGradient();
        target.attach(scope);
        double error = output.sub(target).abs().max().getFloat();
        double size = target.abs().max().getFloat();
        if (!(error <= TOLERANCE * size)) {
            throw new IllegalArgumentException(String.format(
                    "%s preconditions the head's last layer %s and reads its inputs back from the"
                            + " gradient of the logits with respect to its weight, but those inputs"
                            + " do not give the model's logits through the layer (largest"
                            + " difference %.3g, largest logit %.3g): the model's output is not"
                            + " that layer's output (it is post-processed or made by another"
                            + " layer), or the layer's weight is also used elsewhere",
                    method, layer.name(), error, size));
        }
    }
}
