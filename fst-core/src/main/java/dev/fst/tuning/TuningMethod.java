package dev.fst.tuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.List;

/**
 * What a purification method adds to the shared tuning loop of {@link TuningLoop}. Every hook has a
 * neutral default, so plain fine-tuning is an empty implementation.
 *
 * <p>The loop calls, in order: {@link #prepare} once after validation (the model snapshot is already
 * taken, so anything done here is undone on failure); {@link #trainableParameters} once; then, per
 * mini-batch, the forward pass in training mode, {@code mean cross-entropy + }{@link #penalty}, the
 * backward pass, the SGD step on the trainable parameters, and {@link #afterStep}.
 *
 * <p>A new instance is made for every run, so implementations may hold per-run state.
 */
public interface TuningMethod {

    /**
     * Sets up the run, for example re-initialises the head and records its original weights.
     *
     * @param context the run
     */
    default void prepare(TuningContext context) {}

    /**
     * Returns the parameters the optimizer updates. Default: every parameter the model marks as
     * trainable. Parameters not returned get no gradient and do not change (BatchNorm running
     * statistics still follow the tuning data, as the model runs in training mode).
     *
     * @param context the run
     * @return the parameters to update
     */
    default List<Parameter> trainableParameters(TuningContext context) {
        return context.parameters();
    }

    /**
     * Returns an extra loss term for the current mini-batch, added to the mean cross-entropy inside
     * the gradient recording. Default: none.
     *
     * <p>An array computed from a parameter belongs to the model's manager; {@code attach} it to
     * {@code batch} so it is freed with the batch.
     *
     * @param context the run
     * @param batch the manager of this mini-batch's arrays
     * @return a scalar, or {@code null} for no extra term
     */
    default NDArray penalty(TuningContext context, NDManager batch) {
        return null;
    }

    /**
     * Runs after every optimizer step, for example to project weights. Default: nothing.
     *
     * @param context the run
     */
    default void afterStep(TuningContext context) {}
}
