package dev.fst.baselines;

import dev.fst.tuning.TuningConfig;

/**
 * Vanilla fine-tuning (FT), the simplest baseline of the FST paper (Section 3; reference
 * {@code ft.py --ft_mode ft}): all parameters tuned with cross-entropy from the backdoored weights,
 * no re-initialisation, no penalty.
 *
 * <p>Options: {@code projection} (default on) keeps each head weight at its original Frobenius norm
 * after every step, because the FST reference code applies that projection in every tuning mode, so
 * the paper's FT numbers come from this variant; switch it off for the textbook method. The shared
 * options and their defaults are those of {@link TuningConfig#paperDefaults()} (10 epochs, learning
 * rate 0.01 cosine-annealed per epoch, momentum 0.9, no weight decay, batch 128, crop and flip).
 * Immutable and thread-safe.
 */
public final class FineTuner extends HeadModeTuner {

    /** The method's name in results and tables. */
    public static final String NAME = "FT";

    private FineTuner(boolean projection, TuningConfig config) {
        super(NAME, HeadMode.Trained.ALL, false, projection, config);
    }

    /**
     * Starts a builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link FineTuner}; every option may be set once and is validated at once. */
    public static final class Builder extends ProjectingBuilder<Builder> {

        private Builder() {
            super(TuningConfig.paperDefaults());
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the immutable tuner.
         *
         * @return the tuner
         */
        public FineTuner build() {
            return new FineTuner(projectionOrDefault(), config());
        }
    }
}
