package dev.fst.tuning;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.fst.head.ClassifierHead;
import java.util.List;

/**
 * What a purification method adds to the shared tuning loop: only what the method alone knows.
 * Everything else is a strategy of the {@link TuningConfig} (the loss, the optimizer, the
 * learning-rate schedule) or a {@link TuningListener} (progress, the {@link DivergenceCheck}). A
 * method that needs another loss, optimizer or schedule supplies it in its builder's defaults.
 * Every hook has a neutral default, so plain fine-tuning is an empty implementation.
 *
 * <p>The contract, checked by {@code TuningMethodContractTest}: for a run of {@code E} epochs of
 * {@code B} mini-batches, the loop calls
 *
 * <ol>
 *   <li>{@link #validate} once, then {@link #needsHeldOut} once, before anything changes;
 *   <li>{@link #prepare} once, after the snapshot is taken and the loss is bound to the run;
 *   <li>{@link #trainableParameters} once;
 *   <li>per epoch: {@link #startEpoch}, then per mini-batch {@link #gradients}, the optimizer's
 *       step, and {@link #afterStep};
 *   <li>{@link #finish} once, after the last epoch.
 * </ol>
 *
 * <p>When any call throws, or the run diverges, the loop makes no further call on the method
 * ({@link #finish} included), restores the model and its gradient flags, and throws a {@link
 * PurificationException}; a failure in {@link #validate} reaches the caller as it is. A new
 * instance is made for every run, so implementations may hold per-run state; they are called from
 * the tuning thread only.
 */
public interface TuningMethod {

    /**
     * Refuses a model this method cannot work on. Runs before the snapshot is taken: it may read
     * the model but must not change it, allocate arrays or keep state. Default: accepts every
     * model.
     *
     * @param block the model's root block
     * @param head the classifier head chosen for the run
     * @throws IllegalArgumentException naming what the model lacks, for example BatchNorm layers
     */
    default void validate(Block block, ClassifierHead head) {}

    /**
     * Returns whether the method needs the held-out share of the tuning images ({@link
     * TuningContext#heldOutAccuracy()}) to choose its settings; a run that holds nothing out is
     * then refused before anything changes. Must not change anything. Default {@code false}.
     *
     * @return whether held-out images are required
     */
    default boolean needsHeldOut() {
        return false;
    }

    /**
     * Sets up the run. The model is snapshotted and the strategies are bound, so this hook may
     * change the model (re-initialise the head), allocate arrays that live for the run in {@link
     * TuningContext#manager()}, and wrap arrays of its own (masks) as {@link Parameter}s for the
     * optimizer. Everything it changes is undone if the run fails. Default: nothing.
     *
     * @param context the run
     */
    default void prepare(TuningContext context) {}

    /**
     * Returns the model parameters whose gradients the backward passes record. The loop enables
     * gradient recording on exactly these and disables it on the others (and restores every flag
     * when the run ends). Unless {@link #gradients} says otherwise, the optimizer updates exactly
     * these. Called once, after {@link #prepare}; must not change anything. Default: every
     * parameter the model marks as trainable ({@link TuningContext#parameters()}).
     *
     * @param context the run
     * @return the parameters
     */
    default List<Parameter> trainableParameters(TuningContext context) {
        return context.parameters();
    }

    /**
     * Runs at the start of every epoch, after the tuning images are shuffled for it and before its
     * first mini-batch; {@link TuningContext#epoch()} and {@link TuningContext#learningRate()} are
     * the new epoch's. For per-epoch work over the data, such as I-BAU's perturbation search (with
     * {@link TuningContext#forEachTrainingBatch}). Default: nothing.
     *
     * @param context the run
     */
    default void startEpoch(TuningContext context) {}

    /**
     * Computes this step's gradients and returns the loss. Default: one forward pass in training
     * mode, the run's loss ({@link TuningContext#loss}), one backward pass; the optimizer then
     * applies the recorded gradients.
     *
     * <p>A method with several passes per step (SAM, ANP) or another update direction (NGF, I-BAU,
     * the masks of ANP and NFT) overrides this. It may run any number of forward and backward
     * passes, but must open at most one {@link GradientCollector} at a time (a DJL PyTorch rule),
     * must not update the parameters itself, and returns either nothing extra (the recorded
     * gradients are applied) or the complete set of gradients to apply ({@link StepResult}).
     *
     * @param context the run
     * @param batch the mini-batch; arrays created here belong in {@link MiniBatch#manager()}
     * @return the loss, the logits and, optionally, the gradients to apply
     */
    default StepResult gradients(TuningContext context, MiniBatch batch) {
        try (GradientCollector collector = context.newGradientCollector()) {
            NDArray logits = context.forward(batch.images(), true);
            NDArray loss = context.loss(logits, batch.labels(), batch.manager());
            collector.backward(loss);
            return new StepResult(loss, logits);
        }
    }

    /**
     * Runs after every optimizer step: a projection (FST's norm projection, the bounds of ANP's
     * masks) or writing what was optimised into the model (the masks). Must not run passes that
     * record gradients. Default: nothing.
     *
     * @param context the run
     */
    default void afterStep(TuningContext context) {}

    /**
     * Runs once after the last epoch, before the result is made: pruning (ANP), folding masks into
     * the weights (NFT), recording decisions with {@link TuningContext#putDetail}. A failure here
     * restores the model like any other. Default: nothing.
     *
     * @param context the run
     */
    default void finish(TuningContext context) {}
}
