package dev.fst.tuning;

/**
 * Receives progress of a tuning run, on the tuning thread. Every method has an empty default.
 *
 * <p>An exception thrown by a listener fails the run: the model is restored and the exception
 * becomes the cause of a {@link PurificationException}. To cancel a run from another thread,
 * interrupt the tuning thread; the run stops before its next batch and restores the model.
 */
public interface TuningListener {

    /**
     * Called once before the first batch.
     *
     * @param method the method's name
     * @param epochs the number of epochs
     * @param batchesPerEpoch the number of mini-batches in every epoch
     */
    default void onTuningStart(String method, int epochs, int batchesPerEpoch) {}

    /**
     * Called after every optimizer step.
     *
     * @param epoch the 1-based epoch
     * @param batch the 1-based batch within the epoch
     * @param loss the batch's loss
     */
    default void onBatchEnd(int epoch, int batch, double loss) {}

    /**
     * Called after every epoch.
     *
     * @param record what the epoch did
     */
    default void onEpochEnd(EpochRecord record) {}

    /**
     * Called once after the last epoch, when the run has succeeded.
     *
     * @param result the run's result
     */
    default void onTuningEnd(PurificationResult result) {}

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
