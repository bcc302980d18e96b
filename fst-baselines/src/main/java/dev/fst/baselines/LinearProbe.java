package dev.fst.baselines;

import dev.fst.tuning.TuningConfig;

/**
 * Linear probing (LP), a baseline of the FST paper (Section 3; reference {@code ft.py --ft_mode lp},
 * after Kumar et al. 2022): only the classifier head's weights and biases are tuned, from the
 * backdoored values, with cross-entropy. The model still runs in training mode, so BatchNorm running
 * statistics follow the tuning data, as in the reference. The paper tries larger learning rates for
 * LP than for FT; set {@code learningRate} accordingly.
 *
 * <p>Options: {@code projection} (default on) keeps each head weight at its original Frobenius norm
 * after every step, because the FST reference code applies that projection in every tuning mode, so
 * the paper's LP numbers come from this variant; switch it off for the textbook method. The shared
 * options and their defaults are those of {@link TuningConfig#paperDefaults()} (10 epochs, learning
 * rate 0.01 cosine-annealed per epoch, momentum 0.9, no weight decay, batch 128, crop and flip).
 * Immutable and thread-safe.
 */
public final class LinearProbe extends HeadModeTuner {

    /** The method's name in results and tables. */
    public static final String NAME = "LP";

    private LinearProbe(boolean projection, TuningConfig config) {
        super(NAME, HeadMode.Trained.HEAD_ONLY, false, projection, config);
    }

    /**
     * Starts a builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link LinearProbe}; every option may be set once and is validated at once. */
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
        public LinearProbe build() {
            return new LinearProbe(projectionOrDefault(), config());
        }
    }
}
