package dev.fst.tuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;

/**
 * What a purification method adds to the shared tuning loop of {@link TuningLoop}. Every hook has a
 * neutral default, so plain fine-tuning is an empty implementation.
 *
 * <p>The loop calls, in order: {@link #validate} and {@link #needsHeldOut} before anything changes, {@link #prepare} once after validation
 * (the model snapshot is already taken, so anything done from here on is undone on failure); {@link
 * #trainableParameters} once; then, per mini-batch, {@link #gradients} (by default: forward pass in
 * training mode, {@code mean cross-entropy + }{@link #penalty}, backward pass), {@link #update} (by
 * default: the SGD step on the trainable parameters) and {@link #afterStep}; and {@link #finish}
 * once after the last epoch.
 *
 * <p>A new instance is made for every run, so implementations may hold per-run state.
 */
public interface TuningMethod {

    /**
     * Refuses a model this method cannot work on, before anything changes (no snapshot is taken yet,
     * and the exception reaches the caller as it is). Default: accepts every model.
     *
     * @param block the model's root block
     * @param head the classifier head chosen for the run
     * @throws IllegalArgumentException naming what the model lacks, for example BatchNorm layers
     */
    default void validate(ai.djl.nn.Block block, dev.fst.head.ClassifierHead head) {}

    /**
     * Returns whether the method needs the held-out share of the tuning images ({@link
     * TuningContext#heldOutAccuracy()}) to choose its settings; a run that holds nothing out
     * ({@code heldOutFraction} 0) is then refused before anything changes. Default {@code false}.
     *
     * @return whether held-out images are required
     */
    default boolean needsHeldOut() {
        return false;
    }

    /**
     * Returns the learning rate of an epoch, handed to {@link #update} and recorded in the epoch
     * history. Default: the shared schedule's rate, {@code lr * (1 + cos(pi * e / E)) / 2} for the
     * 0-based epoch {@code e}. Methods with a schedule of their own (a constant rate, a floor)
     * override this, and name it under the option {@code schedule} so the configuration says so.
     *
     * @param context the run ({@link TuningContext#epoch()} is the 1-based epoch)
     * @param scheduled the shared schedule's rate for this epoch
     * @return the rate to use, {@code > 0}
     */
    default double learningRate(TuningContext context, double scheduled) {
        return scheduled;
    }

    /**
     * Sets up the run, for example re-initialises the head and records its original weights.
     *
     * @param context the run
     */
    default void prepare(TuningContext context) {}

    /**
     * Returns the parameters that receive gradients and that the default {@link #update} changes.
     * Default: every parameter the model marks as trainable. Parameters not returned get no
     * gradient and do not change (BatchNorm running statistics still follow the tuning data when the
     * model runs in training mode).
     *
     * @param context the run
     * @return the parameters to update
     */
    default List<Parameter> trainableParameters(TuningContext context) {
        return context.parameters();
    }

    /**
     * Returns an extra loss term for the current mini-batch, added to the mean cross-entropy inside
     * the gradient recording of the default {@link #gradients}. Default: none.
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
     * Computes this step's gradients into the trainable parameters and returns the loss. Default:
     * one forward pass in training mode, {@code mean cross-entropy + penalty}, one backward pass.
     * Methods with several passes per step (SAM, ANP, I-BAU) override this; they must open at most
     * one {@link GradientCollector} at a time (a DJL PyTorch rule).
     *
     * @param context the run
     * @param batch the mini-batch
     * @return the loss to report and the logits to count accuracy from
     */
    default StepLoss gradients(TuningContext context, MiniBatch batch) {
        try (GradientCollector collector = context.newGradientCollector()) {
            NDArray logits = context.forward(batch.images(), true);
            NDArray loss = context.crossEntropy(logits, batch.labels());
            NDArray extra = penalty(context, batch.manager());
            if (extra != null) {
                loss = loss.add(extra);
            }
            collector.backward(loss);
            return new StepLoss(loss, logits);
        }
    }

    /**
     * Applies this step's update. Default: {@code context.optimizer().step(trainable,
     * learningRate)}, which also zeroes the gradients. A method that preconditions gradients (NGF)
     * or optimises arrays of its own (ANP, NFT masks) overrides this; it must leave the trainable
     * parameters' gradients zeroed.
     *
     * @param context the run
     * @param trainable what {@link #trainableParameters} returned
     * @param learningRate this epoch's rate, from {@link #learningRate}
     */
    default void update(TuningContext context, List<Parameter> trainable, double learningRate) {
        context.optimizer().step(trainable, learningRate);
    }

    /**
     * Runs after every optimizer step, for example to project weights. Default: nothing.
     *
     * @param context the run
     */
    default void afterStep(TuningContext context) {}

    /**
     * Runs once after the last epoch, before the result is made, for example to prune (ANP) or to
     * fold masks into the weights (NFT); a failure here restores the model like any other. Default:
     * nothing.
     *
     * @param context the run
     */
    default void finish(TuningContext context) {}
}
