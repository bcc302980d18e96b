package dev.fst.tuning;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import com.google.common.collect.ImmutableMap;
import java.util.Map;

/**
 * What {@link TuningMethod#gradients} returns: the scalar loss the loop reports (and the {@link
 * DivergenceCheck} checks), the logits it counts training accuracy from, and which gradients the
 * optimizer applies.
 *
 * <p>With {@code gradients == null} (the usual case) the optimizer applies the gradients that the
 * backward pass recorded in the {@link TuningMethod#trainableParameters trainable parameters}.
 * A method whose update direction is not the recorded gradient (NGF's preconditioned gradient,
 * I-BAU's hypergradient, the mask gradients of ANP and NFT) returns the complete set instead:
 * the optimizer then updates exactly those parameters, each from its given gradient, and the loop
 * zeroes the recorded gradients afterwards.
 *
 * @param loss the scalar loss of the step
 * @param logits the model's outputs on the batch, shape (batch, classes)
 * @param gradients the gradient to apply to each parameter to update, or {@code null} for the
 *     recorded ones; the arrays belong to the mini-batch's manager
 */
public record StepResult(NDArray loss, NDArray logits, Map<Parameter, NDArray> gradients) {

    /** Copies the gradients, keeping their order. */
    public StepResult {
        gradients = gradients == null ? null : ImmutableMap.copyOf(gradients);
    }

    /**
     * Returns a step whose recorded gradients the optimizer applies.
     *
     * @param loss the scalar loss
     * @param logits the logits
     */
    public StepResult(NDArray loss, NDArray logits) {
        this(loss, logits, null);
    }
}
