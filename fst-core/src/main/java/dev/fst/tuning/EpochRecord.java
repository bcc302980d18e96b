package dev.fst.tuning;

import java.time.Duration;

/**
 * What one epoch of tuning did.
 *
 * @param epoch the 1-based epoch
 * @param learningRate the learning rate used throughout the epoch
 * @param loss the mean over the epoch's mini-batches of the full loss (cross-entropy plus the
 *     method's penalty)
 * @param tuningAccuracy the fraction of tuning images (augmented, model in training mode) predicted
 *     correctly during the epoch, in {@code [0, 1]}
 * @param duration the epoch's wall time
 */
public record EpochRecord(
        int epoch, double learningRate, double loss, double tuningAccuracy, Duration duration) {

    @Override
    public String toString() {
        return String.format(
                "epoch %d: lr %.5f, loss %.4f, tuning accuracy %.2f%%, %.1f s",
                epoch, learningRate, loss, 100 * tuningAccuracy, duration.toMillis() / 1000.0);
    }
}
