package dev.fst.tuning;

/**
 * Receives progress of a tuning run, on the tuning thread, with a read-only {@link TuningView} of
 * the run. Every method has an empty default.
 *
 * <p>The loop calls, for a run of {@code E} epochs of {@code B} batches: {@link #onTuningStart}
 * once, after the method's {@code prepare}; {@link #onBatchEnd} after every optimizer step and the
 * method's {@code afterStep}; {@link #onEpochEnd} after every epoch; {@link #onTuningEnd} once
 * after the method's {@code finish}, only when the run succeeded. A {@link DivergenceCheck} always
 * receives each call before the configured listeners.
 *
 * <p>An exception thrown by a listener fails the run: the model is restored and the exception
 * becomes the cause of a {@link PurificationException}. To cancel a run from another thread,
 * interrupt the tuning thread; the run stops before its next batch and restores the model.
 */
public interface TuningListener {

    /**
     * Called once before the first batch.
     *
     * @param run the run; {@link TuningView#epoch()} is 0
     */
    default void onTuningStart(TuningView run) {}

    /**
     * Called after every optimizer step.
     *
     * @param run the run, with the batch's index and loss
     */
    default void onBatchEnd(TuningView run) {}

    /**
     * Called after every epoch.
     *
     * @param run the run
     * @param record what the epoch did
     */
    default void onEpochEnd(TuningView run, EpochRecord record) {}

    /**
     * Called once after the last epoch and the method's {@code finish}, when the run has
     * succeeded.
     *
     * @param run the run, with its full history
     */
    default void onTuningEnd(TuningView run) {}

    /**
     * Returns a listener that draws DJL's console {@link ai.djl.training.util.ProgressBar} for every
     * epoch, with the running loss, and prints each epoch's summary line.
     *
     * @return a new listener
     */
    static TuningListener progressBar() {
        return new ProgressBarListener();
    }
}
