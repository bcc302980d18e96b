package dev.fst.baselines;

import dev.fst.head.NormProjection;
import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningContext;
import dev.fst.tuning.TuningMethod;
import java.util.Map;

/**
 * Vanilla fine-tuning (FT), the simplest baseline of the FST paper (Section 3): all parameters
 * tuned with cross-entropy from the backdoored weights, no re-initialisation, no penalty.
 *
 * <p>Options: {@code projection} (default on) keeps each head weight at its original Frobenius norm
 * after every step, because the FST reference code applies that projection in every tuning mode,
 * so the paper's FT numbers come from this variant; switch it off for textbook fine-tuning. The
 * shared options and their defaults are those of {@link TuningConfig}. Immutable and thread-safe.
 */
public final class FineTuner extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "FT";

    private final boolean projection;

    private FineTuner(boolean projection, TuningConfig config) {
        super(NAME, Map.of("projection", projection), config);
        this.projection = projection;
    }

    /**
     * Starts a builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected TuningMethod newMethod() {
        if (!projection) {
            return new TuningMethod() {};
        }
        return new TuningMethod() {
            private NormProjection norms;

            @Override
            public void prepare(TuningContext context) {
                norms = NormProjection.capture(context.head());
            }

            @Override
            public void afterStep(TuningContext context) {
                norms.project();
            }
        };
    }

    /** Builds a {@link FineTuner}; every option may be set once and is validated at once. */
    public static final class Builder extends TunerBuilder<Builder> {
        private Boolean projection;

        private Builder() {
            super(TuningConfig.paperDefaults());
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Switches the head-norm projection after every step. Default on, as in the reference code.
         *
         * @param projection {@code false} for textbook fine-tuning
         * @return this builder
         * @throws IllegalStateException if it was set before
         */
        public Builder projection(boolean projection) {
            requireUnset(this.projection, "projection");
            this.projection = projection;
            return this;
        }

        /**
         * Builds the immutable tuner.
         *
         * @return the tuner
         */
        public FineTuner build() {
            return new FineTuner(projection != null ? projection : true, config());
        }
    }
}
