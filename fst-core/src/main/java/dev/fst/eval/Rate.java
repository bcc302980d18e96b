package dev.fst.eval;

import com.google.common.base.Preconditions;

/**
 * A measured fraction, such as a clean accuracy or an attack success rate, with the counts behind it.
 *
 * @param hits the images that count (correct predictions, or predictions of the target class)
 * @param total the images measured, {@code >= hits}
 */
public record Rate(long hits, long total) {

    /**
     * Creates a rate.
     *
     * @throws IllegalArgumentException if the counts are negative or {@code hits > total}
     */
    public Rate {
        Preconditions.checkArgument(
                hits >= 0 && total >= hits, "a rate needs 0 <= hits <= total but had %s/%s", hits,
                total);
    }

    /**
     * Returns the fraction.
     *
     * @return {@code hits / total} in {@code [0, 1]}, or NaN when nothing was measured
     */
    public double value() {
        return total == 0 ? Double.NaN : (double) hits / total;
    }

    /**
     * Returns the fraction in percent.
     *
     * @return {@code 100 * value()}
     */
    public double percent() {
        return 100 * value();
    }

    @Override
    public String toString() {
        return String.format("%.2f%% (%d/%d)", percent(), hits, total);
    }
}
