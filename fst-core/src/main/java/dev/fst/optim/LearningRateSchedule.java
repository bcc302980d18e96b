package dev.fst.optim;

import com.google.common.base.Preconditions;

/**
 * The learning rate of each epoch, a strategy of {@link dev.fst.tuning.TuningConfig#schedule()}.
 * The rate is constant within an epoch. Implementations are immutable values whose {@code
 * toString} is recorded in a run's configuration.
 *
 * <p>The shared default is {@link #cosine()}, the FST paper's per-epoch cosine annealing. Methods
 * whose papers use another rule supply it in their builder's defaults: ANP and I-BAU a {@link
 * #constant()} rate, NFT a {@link #cosineWithFloor cosine rate with a floor}.
 */
public interface LearningRateSchedule {

    /**
     * Returns the rate of one epoch.
     *
     * @param initialRate the configured learning rate, {@code > 0}
     * @param epoch the 1-based epoch, in {@code [1, epochs]}
     * @param epochs the number of epochs of the run, {@code >= 1}
     * @return the rate, {@code >= 0}
     */
    double rate(double initialRate, int epoch, int epochs);

    /**
     * Returns the per-epoch cosine schedule {@code lr * (1 + cos(pi * e / E)) / 2} for the 0-based
     * epoch {@code e} of {@code E}: the full rate in the first epoch, near 0 in the last.
     *
     * @return the schedule
     */
    static LearningRateSchedule cosine() {
        return new Cosine();
    }

    /**
     * Returns a schedule that keeps the configured rate in every epoch.
     *
     * @return the schedule
     */
    static LearningRateSchedule constant() {
        return new Constant();
    }

    /**
     * Returns the cosine schedule mapped from {@code [0, lr]} onto {@code [floor, lr]}: {@code
     * floor + cosine / lr * (lr - floor)}.
     *
     * @param floor the smallest rate, finite and {@code >= 0}
     * @return the schedule
     * @throws IllegalArgumentException if floor is negative or not finite
     */
    static LearningRateSchedule cosineWithFloor(double floor) {
        return new CosineWithFloor(floor);
    }

    /** The per-epoch cosine schedule; see {@link LearningRateSchedule#cosine()}. */
    record Cosine() implements LearningRateSchedule {
        @Override
        public double rate(double initialRate, int epoch, int epochs) {
            Preconditions.checkElementIndex(epoch - 1, epochs, "epoch");
            return initialRate * (1 + Math.cos(Math.PI * (epoch - 1) / epochs)) / 2;
        }

        @Override
        public String toString() {
            return "cosine per epoch";
        }
    }

    /** A constant rate; see {@link LearningRateSchedule#constant()}. */
    record Constant() implements LearningRateSchedule {
        @Override
        public double rate(double initialRate, int epoch, int epochs) {
            return initialRate;
        }

        @Override
        public String toString() {
            return "constant";
        }
    }

    /**
     * The cosine schedule above a floor; see {@link LearningRateSchedule#cosineWithFloor}.
     *
     * @param floor the smallest rate
     */
    record CosineWithFloor(double floor) implements LearningRateSchedule {
        /** Validates the floor. */
        public CosineWithFloor {
            Preconditions.checkArgument(
                    Double.isFinite(floor) && floor >= 0, "floor must be a finite number >= 0 but was %s", floor);
        }

        @Override
        public double rate(double initialRate, int epoch, int epochs) {
            double cosine = new Cosine().rate(initialRate, epoch, epochs);
            return floor + cosine / initialRate * (initialRate - floor);
        }

        @Override
        public String toString() {
            return "cosine per epoch, floor " + floor;
        }
    }
}
