package dev.fst.tuning;

/**
 * A tuning run failed part-way and the model was restored to exactly its state before the run.
 * The message names the method, the epoch and the batch where it happened and why.
 */
public class PurificationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int batch;

    /**
     * Creates the exception.
     *
     * @param message what happened, where
     * @param epoch the 1-based epoch, or 0 if the failure came before the first epoch
     * @param batch the 1-based batch within the epoch, or 0 if not inside a batch
     * @param cause the underlying failure, or {@code null}
     */
    public PurificationException(String message, int epoch, int batch, Throwable cause) {
        super(message, cause);
        this.epoch = epoch;
        this.batch = batch;
    }

    /**
     * Returns the epoch of the failure.
     *
     * @return the 1-based epoch, 0 before the first epoch
     */
    public int epoch() {
        return epoch;
    }

    /**
     * Returns the batch of the failure.
     *
     * @return the 1-based batch within its epoch, 0 if not inside a batch
     */
    public int batch() {
        return batch;
    }

    /**
     * Returns whether the run stopped because its thread was interrupted.
     *
     * @return {@code true} for a cancelled run
     */
    public boolean isCancelled() {
        return getCause() instanceof InterruptedException;
    }
}
