package dev.fst.baselines;

import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.head.HeadInitializer;
import dev.fst.head.HeadLayer;
import dev.fst.head.FeatureShiftLoss;
import dev.fst.head.NormProjection;
import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.MiniBatch;
import dev.fst.tuning.StepResult;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningContext;
import dev.fst.tuning.TuningMethod;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FST+PAM: Feature Shift Tuning (Min et al., NeurIPS 2023) whose every step takes its gradient at
 * the point Path-Aware Minimization (Min et al., NeurIPS 2024, arXiv:2410.09838) moves to, the
 * combination the PAM paper suggests for making FST's purification hold against retuning ({@link
 * dev.fst.eval.RetuningAttack}).
 *
 * <p>The run first copies every trainable weight as {@code θ_bd}, the full backdoored model with its
 * original head; then, as {@link dev.fst.FeatureShiftTuner} does, records each head layer's weight
 * {@code W0} and its Frobenius norm and re-initialises the head's weights and biases from
 * U(−1/√in, +1/√in) with the run's seeded random source. Per mini-batch, with {@code θ} the current
 * weights: {@code θ̃ = θ + rho · (θ_bd − θ) / ||θ_bd − θ||} (one L2 norm over all trainable
 * parameters); forward in training mode and backward of FST's loss {@code mean CE + alpha · Σ
 * <W, W0>} over the head layers at {@code θ̃}; {@code θ} written back exactly; the SGD step with that
 * gradient; then, with the projection on, each head weight rescaled to {@code ||W0||}. Because the
 * head was re-initialised, {@code θ} differs from {@code θ_bd} from the first step on. The result's
 * details give the final distance {@code ||θ − θ_bd||} ({@code distanceFromOriginal}).
 *
 * <p>Options: {@code alpha} (default 0.2, FST's), {@code rho} (default 0.5, PAM's; 0 gives FST bit
 * for bit), {@code projection} (default on). Shared options: FST's, {@link
 * TuningConfig#paperDefaults()} (10 epochs, learning rate 0.01 cosine-annealed per epoch, momentum
 * 0.9, no weight decay, batch 128, crop and flip). Immutable and thread-safe.
 */
public final class FstPamTuner extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "FST+PAM";

    private final double alpha;
    private final double rho;
    private final boolean projection;

    private FstPamTuner(double alpha, double rho, boolean projection, TuningConfig config) {
        super(NAME, options(alpha, rho, projection),
                config.withLoss(FeatureShiftLoss.of(config.loss(), alpha, false)));
        this.alpha = alpha;
        this.rho = rho;
        this.projection = projection;
    }

    private static Map<String, Object> options(double alpha, double rho, boolean projection) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("alpha", alpha);
        map.put("rho", rho);
        map.put("projection", projection);
        return map;
    }

    /**
     * Starts a builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the weight of FST's inner-product penalty.
     *
     * @return alpha, {@code >= 0}
     */
    public double alpha() {
        return alpha;
    }

    /**
     * Returns the length of the step towards the backdoored weights.
     *
     * @return rho, {@code >= 0}
     */
    public double rho() {
        return rho;
    }

    /**
     * Returns whether head weights are projected to their original norms after every step.
     *
     * @return the projection setting
     */
    public boolean projection() {
        return projection;
    }

    @Override
    protected TuningMethod newMethod() {
        return new Method();
    }

    /** FST's head re-initialisation, penalty and projection, with PAM's perturbed gradient. */
    private final class Method implements TuningMethod {
        private PathPerturbation path;
        private NormProjection norms;

        @Override
        public void prepare(TuningContext context) {
            path = PathPerturbation.capture(context.parameters(), rho, context.manager());
            norms = NormProjection.capture(context.head());
            for (HeadLayer layer : context.head().layers()) {
                HeadInitializer.uniform().initialize(layer, context.random());
            }
        }

        @Override
        public StepResult gradients(TuningContext context, MiniBatch batch) {
            return path.atPerturbedPoint(batch.manager(), () -> fstStep(context, batch));
        }

        private StepResult fstStep(TuningContext context, MiniBatch batch) {
            return TuningMethod.super.gradients(context, batch);
        }

        @Override
        public void afterStep(TuningContext context) {
            if (projection) {
                norms.project();
            }
        }

        @Override
        public void finish(TuningContext context) {
            try (NDManager scope = context.manager().newSubManager()) {
                context.putDetail("distanceFromOriginal", path.distance(scope));
            }
        }
    }

    /** Builds a {@link FstPamTuner}; every option may be set once and is validated at once. */
    public static final class Builder extends TunerBuilder<Builder> {
        private Double alpha;
        private Double rho;
        private Boolean projection;

        private Builder() {
            super(TuningConfig.paperDefaults());
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the weight of FST's penalty {@code alpha · <W, W0>}. Default 0.2, as FST.
         *
         * @param alpha finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if alpha is negative or not finite
         * @throws IllegalStateException if it was set before
         */
        public Builder alpha(double alpha) {
            requireUnset(this.alpha, "alpha");
            Preconditions.checkArgument(
                    Double.isFinite(alpha) && alpha >= 0, "alpha must be a finite number >= 0 but was %s",
                    alpha);
            this.alpha = alpha;
            return this;
        }

        /**
         * Sets the length of the step from the current weights towards the backdoored ones at which
         * each gradient is taken. Default 0.5, as PAM. 0 is FST.
         *
         * @param rho finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if rho is negative or not finite
         * @throws IllegalStateException if it was set before
         */
        public Builder rho(double rho) {
            requireUnset(this.rho, "rho");
            Preconditions.checkArgument(
                    Double.isFinite(rho) && rho >= 0, "rho must be a finite number >= 0 but was %s", rho);
            this.rho = rho;
            return this;
        }

        /**
         * Switches the projection of head weights to their original norms after every step. Default
         * on, as FST.
         *
         * @param projection {@code false} to switch it off
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
        public FstPamTuner build() {
            return new FstPamTuner(
                    alpha != null ? alpha : 0.2, rho != null ? rho : 0.5, projection == null || projection,
                    config());
        }
    }
}
