package dev.fst.optim;

import com.google.common.base.Preconditions;

/**
 * PyTorch's {@code CosineAnnealingLR(T_max = epochs, eta_min = 0)} stepped once per epoch: epoch
 * {@code e} (0-based) uses {@code lr * (1 + cos(pi * e / epochs)) / 2}. The first epoch runs at the
 * full rate; the rate never reaches 0 within the run. Immutable.
 */
public final class CosineSchedule {

    private final double baseRate;
    private final int epochs;

    /**
     * Creates the schedule.
     *
     * @param baseRate the first epoch's learning rate, {@code > 0}
     * @param epochs the number of epochs, {@code >= 1}
     * @throws IllegalArgumentException if an argument is out of range
     */
    public CosineSchedule(double baseRate, int epochs) {
        Preconditions.checkArgument(baseRate > 0, "baseRate must be > 0 but was %s", baseRate);
        Preconditions.checkArgument(epochs >= 1, "epochs must be >= 1 but was %s", epochs);
        this.baseRate = baseRate;
        this.epochs = epochs;
    }

    /**
     * Returns the learning rate of one epoch.
     *
     * @param epoch 0-based epoch in {@code [0, epochs)}
     * @return the rate
     */
    public double rate(int epoch) {
        Preconditions.checkElementIndex(epoch, epochs, "epoch");
        return baseRate * (1 + Math.cos(Math.PI * epoch / epochs)) / 2;
    }
}
