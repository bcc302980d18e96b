package dev.fst;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.head.HeadInitializer;
import dev.fst.head.HeadLayer;
import dev.fst.head.InnerProductPenalty;
import dev.fst.head.NormProjection;
import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningContext;
import dev.fst.tuning.TuningMethod;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Feature Shift Tuning (Min et al., "Towards Stable Backdoor Purification through Feature Shift
 * Tuning", NeurIPS 2023, arXiv:2310.01875, Section 4): removes a backdoor from a classifier by
 * tuning it on a small clean set while pushing the classifier head away from its original,
 * compromised weights.
 *
 * <pre>{@code
 * PurificationResult result =
 *     FeatureShiftTuner.builder().alpha(0.2).epochs(10).build().purify(model, data);
 * }</pre>
 *
 * <p>For every linear layer of the head (one for ResNet-18, three for VGG19-BN, see {@link
 * dev.fst.head.HeadSelector}) the run records the original weight {@code W0} and its Frobenius norm,
 * re-initialises weight and bias from U(-1/sqrt(in), +1/sqrt(in)), then tunes <em>all</em>
 * parameters with SGD on
 *
 * <pre>  loss = mean CE(model(x), y) + alpha * sum over head layers of &lt;W, W0&gt;</pre>
 *
 * <p>and after every step rescales each head weight back to the norm of its {@code W0} (the
 * projection constraint; biases are neither penalised nor projected). The gradient of the penalty
 * is exactly {@code alpha * W0}, independent of the batch size.
 *
 * <p>Options and defaults (the paper's CIFAR-10 settings): {@code alpha} 0.2 ({@code >= 0}); {@code
 * projection} on; {@code headInitializer} {@link HeadInitializer#uniform()}; and the shared options
 * of {@link TuningConfig}: 10 epochs, learning rate 0.01 cosine-annealed per epoch, momentum 0.9,
 * weight decay 0, batch size 128, automatic head detection, the model's device, seed 0, random crop
 * (padding 4) and horizontal flip. Instances are immutable and thread-safe; {@link #toString()}
 * shows every setting.
 */
public final class FeatureShiftTuner extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "FST";

    private static final HeadInitializer DEFAULT_INITIALIZER = HeadInitializer.uniform();

    private final double alpha;
    private final boolean projection;
    private final HeadInitializer headInitializer;
    private final boolean normalizedPenalty;
    private final int warmStartEpochs;
    private final double warmStartLearningRate;
    private final double headLearningRateScale;

    private FeatureShiftTuner(
            double alpha, boolean projection, HeadInitializer headInitializer, boolean normalizedPenalty,
            int warmStartEpochs, double warmStartLearningRate, double headLearningRateScale, TuningConfig config) {
        super(NAME, options(alpha, projection, headInitializer, normalizedPenalty, warmStartEpochs,
                warmStartLearningRate, headLearningRateScale), config);
        this.alpha = alpha;
        this.projection = projection;
        this.headInitializer = headInitializer;
        this.normalizedPenalty = normalizedPenalty;
        this.warmStartEpochs = warmStartEpochs;
        this.warmStartLearningRate = warmStartLearningRate;
        this.headLearningRateScale = headLearningRateScale;
    }

    private static Map<String, Object> options(
            double alpha, boolean projection, HeadInitializer headInitializer, boolean normalizedPenalty,
            int warmStartEpochs, double warmStartLearningRate, double headLearningRateScale) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("alpha", alpha);
        map.put("normalizedPenalty", normalizedPenalty);
        map.put("warmStartEpochs", warmStartEpochs);
        map.put("warmStartLearningRate", warmStartLearningRate);
        map.put("headLearningRateScale", headLearningRateScale);
        map.put("projection", projection);
        map.put(
                "headInitializer",
                headInitializer == DEFAULT_INITIALIZER ? "uniform(+-1/sqrt(fan_in))" : "custom");
        return map;
    }

    /**
     * Starts a builder with the paper's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the weight of the inner-product penalty.
     *
     * @return alpha, {@code >= 0}
     */
    public double alpha() {
        return alpha;
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

    /** FST's additions to the shared loop: head re-init, the penalty, the projection. */
    private final class Method implements TuningMethod {
        private InnerProductPenalty penalty;
        private NormProjection norms;

        @Override
        public void prepare(TuningContext context) {
            norms = NormProjection.capture(context.head());
            penalty = InnerProductPenalty.capture(context.head(), alpha, normalizedPenalty, context.manager());
            for (HeadLayer layer : context.head().layers()) {
                headInitializer.initialize(layer, context.random());
            }
            if (warmStartEpochs > 0) {
                warmStart(context);
            }
        }

        /** Fits the fresh head on the current features (everything else held) before tuning all. */
        private void warmStart(TuningContext context) {
            java.util.List<ai.djl.nn.Parameter> head = new java.util.ArrayList<>();
            for (HeadLayer layer : context.head().layers()) {
                head.add(layer.weight());
                if (layer.bias() != null) {
                    head.add(layer.bias());
                }
            }
            for (ai.djl.nn.Parameter parameter : head) {
                if (!parameter.getArray().hasGradient()) {
                    parameter.getArray().setRequiresGradient(true);
                }
            }
            dev.fst.optim.TorchSgd sgd =
                    new dev.fst.optim.TorchSgd(context.config().momentum(), 0, context.manager());
            for (int e = 0; e < warmStartEpochs; e++) {
                double lr = warmStartLearningRate * (1 + Math.cos(Math.PI * e / warmStartEpochs)) / 2;
                context.forEachTrainingBatch(batch -> {
                    try (ai.djl.training.GradientCollector collector = context.newGradientCollector()) {
                        NDArray logits = context.forward(batch.images(), true);
                        collector.backward(context.crossEntropy(logits, batch.labels()));
                    }
                    sgd.step(head, lr);
                    for (ai.djl.nn.Parameter parameter : context.parameters()) {
                        if (parameter.getArray().hasGradient()) {
                            dev.fst.optim.TorchSgd.clearGradient(parameter.getArray());
                        }
                    }
                    if (projection) {
                        norms.project();
                    }
                });
            }
        }

        @Override
        public void update(TuningContext context, java.util.List<ai.djl.nn.Parameter> trainable, double learningRate) {
            if (headLearningRateScale == 1) {
                context.optimizer().step(trainable, learningRate);
                return;
            }
            java.util.List<ai.djl.nn.Parameter> head = new java.util.ArrayList<>();
            java.util.List<ai.djl.nn.Parameter> rest = new java.util.ArrayList<>();
            for (ai.djl.nn.Parameter parameter : trainable) {
                (context.head().contains(parameter) ? head : rest).add(parameter);
            }
            context.optimizer().step(rest, learningRate);
            context.optimizer().step(head, learningRate * headLearningRateScale);
        }

        @Override
        public NDArray penalty(TuningContext context, NDManager batch) {
            return alpha == 0 ? null : penalty.evaluate(batch);
        }

        @Override
        public void afterStep(TuningContext context) {
            if (projection) {
                norms.project();
            }
        }
    }

    /**
     * Builds a {@link FeatureShiftTuner}. Every option may be set once; each is validated at once.
     * Unset options keep the defaults listed in the class documentation.
     */
    public static final class Builder extends TunerBuilder<Builder> {
        private Double alpha;
        private Boolean projection;
        private HeadInitializer headInitializer;
        private boolean normalizedPenalty;
        private int warmStartEpochs;
        private double warmStartLearningRate = 0.05;
        private double headLearningRateScale = 1;

        /**
         * Experimental: divides each layer's penalty by {@code ||W0||^2}.
         *
         * @param normalized the setting
         * @return this builder
         */
        public Builder normalizedPenalty(boolean normalized) {
            this.normalizedPenalty = normalized;
            return this;
        }

        /**
         * Experimental: epochs fitting the fresh head alone before tuning everything.
         *
         * @param epochs {@code >= 0}
         * @param learningRate the head's rate during them
         * @return this builder
         */
        public Builder warmStart(int epochs, double learningRate) {
            this.warmStartEpochs = epochs;
            this.warmStartLearningRate = learningRate;
            return this;
        }

        /**
         * Experimental: the head's learning rate as a multiple of the others'.
         *
         * @param scale {@code > 0}
         * @return this builder
         */
        public Builder headLearningRateScale(double scale) {
            this.headLearningRateScale = scale;
            return this;
        }

        private Builder() {
            super(TuningConfig.paperDefaults());
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the weight of the penalty {@code alpha * <W, W0>}. Default 0.2 (the paper's
         * CIFAR-10 value; the reference README uses 0.1, and suggests a small value or 0 for
         * CIFAR-100 and Tiny-ImageNet). {@code 0} makes FST plain FT-init with projection.
         *
         * @param alpha finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if alpha is negative or not finite
         * @throws IllegalStateException if alpha was set before
         */
        public Builder alpha(double alpha) {
            requireUnset(this.alpha, "alpha");
            Preconditions.checkArgument(
                    Double.isFinite(alpha) && alpha >= 0,
                    "alpha must be a finite number >= 0 but was %s",
                    alpha);
            this.alpha = alpha;
            return this;
        }

        /**
         * Switches the projection of head weights to their original norms after every step.
         * Default on (the paper's ablation: it speeds up and stabilises convergence).
         *
         * @param projection {@code false} to switch it off
         * @return this builder
         * @throws IllegalStateException if projection was set before
         */
        public Builder projection(boolean projection) {
            requireUnset(this.projection, "projection");
            this.projection = projection;
            return this;
        }

        /**
         * Sets how the head is re-initialised. Default {@link HeadInitializer#uniform()}; a custom
         * initializer is mainly useful to reproduce a run made elsewhere.
         *
         * @param headInitializer the initializer
         * @return this builder
         * @throws IllegalStateException if it was set before
         */
        public Builder headInitializer(HeadInitializer headInitializer) {
            requireUnset(this.headInitializer, "headInitializer");
            this.headInitializer =
                    Objects.requireNonNull(headInitializer, "headInitializer must not be null");
            return this;
        }

        /**
         * Builds the immutable tuner.
         *
         * @return the tuner
         */
        public FeatureShiftTuner build() {
            return new FeatureShiftTuner(
                    alpha != null ? alpha : 0.2,
                    projection != null ? projection : true,
                    headInitializer != null ? headInitializer : DEFAULT_INITIALIZER,
                    normalizedPenalty, warmStartEpochs, warmStartLearningRate, headLearningRateScale,
                    config());
        }
    }
}
