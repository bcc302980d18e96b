package dev.fst.baselines;

import dev.fst.tuning.TuningConfig;

/**
 * FT-init, a baseline of the FST paper (Section 3.2; reference {@code ft.py --ft_mode ft-init}):
 * the head is re-initialised from U(-1/sqrt(in), +1/sqrt(in)), then all parameters are tuned with
 * cross-entropy and no penalty. FST is FT-init plus the inner-product penalty.
 *
 * <p>Options: {@code projection} (default on) keeps each head weight at its original Frobenius norm
 * after every step, because the FST reference code applies that projection in every tuning mode, so
 * the paper's FT-init numbers come from this variant; switch it off for the textbook method. The shared
 * options and their defaults are those of {@link TuningConfig#paperDefaults()} (10 epochs, learning
 * rate 0.01 cosine-annealed per epoch, momentum 0.9, no weight decay, batch 128, crop and flip).
 * Immutable and thread-safe.
 */
public final class FtInitTuner extends HeadModeTuner {

    /** The method's name in results and tables. */
    public static final String NAME = "FT-init";

    private FtInitTuner(boolean projection, TuningConfig config) {
        super(NAME, HeadMode.Trained.ALL, true, projection, config);
    }

    /**
     * Starts a builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link FtInitTuner}; every option may be set once and is validated at once. */
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
        public FtInitTuner build() {
            return new FtInitTuner(projectionOrDefault(), config());
        }
    }
}
