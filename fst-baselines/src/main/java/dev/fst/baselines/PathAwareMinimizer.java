package dev.fst.baselines;

import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.MiniBatch;
import dev.fst.tuning.StepResult;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningContext;
import dev.fst.tuning.TuningMethod;
import java.util.Map;

/**
 * Path-Aware Minimization (PAM), the defense of Min et al., "Uncovering, Explaining, and Mitigating
 * the Superficial Safety of Backdoor Defense" (NeurIPS 2024, arXiv:2410.09838): fine-tuning whose
 * every step takes its gradient at a point moved a fixed distance back towards the backdoored
 * model, so that the solution it finds lies far from the backdoored model along the path that
 * connects them, where a few steps of retuning on poisoned data cannot bring the backdoor back
 * ({@link dev.fst.eval.RetuningAttack}).
 *
 * <p>Per mini-batch, with {@code θ} the current trainable weights and {@code θ_bd} their values at
 * the start of the run (the backdoored model): {@code θ̃ = θ + rho · (θ_bd − θ) / ||θ_bd − θ||}, one
 * L2 norm over all trainable parameters together ({@code θ̃ = θ} when the norm is 0, as on the first
 * step); forward in training mode and backward of the mean cross-entropy at {@code θ̃}; {@code θ}
 * written back exactly; the SGD step (PyTorch semantics) with that gradient. There is one forward
 * pass per step, so BatchNorm running statistics follow the batch statistics seen at {@code θ̃}, and
 * the reported loss and training accuracy are those at {@code θ̃}. The result's details give the
 * final distance {@code ||θ − θ_bd||} ({@code distanceFromOriginal}).
 *
 * <p>Options: {@code rho} (default 0.5, the reference's value; 0 is plain fine-tuning, bit for bit).
 * Shared options: {@link TuningConfig#paperDefaults()} except the momentum, 0.1 as in the reference
 * (10 epochs, learning rate 0.01 cosine-annealed per epoch, no weight decay, batch 128, crop and
 * flip). The reference also mixes triggers recovered by BTI-DBF into 20 % of each batch; this class
 * implements only the clean-data form (see {@code docs/baselines.md}). Immutable and thread-safe.
 */
public final class PathAwareMinimizer extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "PAM";

    private final double rho;

    private PathAwareMinimizer(double rho, TuningConfig config) {
        super(NAME, Map.of("rho", rho), config);
        this.rho = rho;
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
     * Returns the length of the step towards the backdoored weights.
     *
     * @return rho, {@code >= 0}
     */
    public double rho() {
        return rho;
    }

    @Override
    protected TuningMethod newMethod() {
        return new Method();
    }

    /** The step at the perturbed point. */
    private final class Method implements TuningMethod {
        private PathPerturbation path;

        @Override
        public void prepare(TuningContext context) {
            path = PathPerturbation.capture(context.parameters(), rho, context.manager());
        }

        @Override
        public StepResult gradients(TuningContext context, MiniBatch batch) {
            return path.atPerturbedPoint(batch.manager(), () -> crossEntropyStep(context, batch));
        }

        private StepResult crossEntropyStep(TuningContext context, MiniBatch batch) {
            return TuningMethod.super.gradients(context, batch);
        }

        @Override
        public void finish(TuningContext context) {
            try (NDManager scope = context.manager().newSubManager()) {
                context.putDetail("distanceFromOriginal", path.distance(scope));
            }
        }
    }

    /** Builds a {@link PathAwareMinimizer}; every option may be set once and is validated at once. */
    public static final class Builder extends TunerBuilder<Builder> {
        private Double rho;

        private Builder() {
            super(TuningConfig.paperDefaults().withMomentum(0.1));
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the length of the step from the current weights towards the backdoored ones at which
         * each gradient is taken. Default 0.5. 0 takes every gradient at the current weights, which
         * is plain fine-tuning.
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
         * Builds the immutable tuner.
         *
         * @return the tuner
         */
        public PathAwareMinimizer build() {
            return new PathAwareMinimizer(rho != null ? rho : 0.5, config());
        }
    }
}
