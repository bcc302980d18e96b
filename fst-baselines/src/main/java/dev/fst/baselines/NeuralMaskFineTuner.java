package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.GradientCollector;
import com.google.common.base.Preconditions;
import dev.fst.head.ClassifierHead;
import dev.fst.optim.LearningRateSchedule;
import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.MiniBatch;
import dev.fst.tuning.StepResult;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningContext;
import dev.fst.tuning.TuningMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Neural mask Fine-Tuning (NFT; Karim et al., "Augmented Neural Fine-Tuning for Efficient Backdoor
 * Purification", ECCV 2024), after the authors' code: instead of the weights, tunes one mask per
 * BatchNorm channel on MixUp-augmented clean images, with a regulariser that keeps the masks near
 * 1.
 *
 * <p>Every BatchNorm layer except the first in forward order gets a mask {@code m} (initially 1)
 * that multiplies its original scale. The reference masks the BatchNorms inside the residual blocks
 * and shortcuts of its CIFAR ResNet-18 and not the stem's, which for that model is every BatchNorm
 * but the first; for other architectures the rule is this port's choice. Masked scales:
 * {@code gamma = gamma0 * m}; shifts are not masked. Per mini-batch, in training mode:
 *
 * <ol>
 *   <li>MixUp: {@code lambda ~ Beta(1, 1)} (uniform) and a random permutation {@code p} of the
 *       batch, both from the run's seeded random source; {@code x' = lambda * x + (1 - lambda) *
 *       x[p]};
 *   <li>loss {@code lambda * CE(f(x'), y) + (1 - lambda) * CE(f(x'), y[p]) + regularization *
 *       sum|1 - m| / N_c}, with {@code N_c} = tuning images / classes; the regulariser's gradient
 *       {@code -regularization * sign(1 - m) / N_c} is added analytically;
 *   <li>one SGD step on the masks; then the masks of the {@code k}-th masked layer ({@code k = 1,
 *       2, ...} in forward order) are clipped to {@code [lowerBoundScale * exp(-lowerBoundDecay *
 *       k), 1]} and written into the scales.
 * </ol>
 *
 * <p>The learning rate follows the loop's per-epoch cosine curve mapped to end at {@code
 * minLearningRate} instead of 0 (PyTorch's {@code CosineAnnealingLR} with {@code eta_min}), as in
 * the reference. The only weights that change are the masked scales, which end at {@code gamma0 *
 * m}; BatchNorm running statistics follow the mixed tuning images (training mode, as in the
 * reference). Details in the result: {@code masks} ({@link ChannelMasks}) and {@code maskedLayers}.
 *
 * <p>Options and defaults (the reference's): {@code regularization} 0.001, {@code minLearningRate}
 * 0.02 (or the learning rate when smaller), {@code lowerBoundScale} 0.8, {@code lowerBoundDecay} 0.5; shared options as in {@link
 * TuningConfig} except learning rate 0.05, momentum 0.95 and 20 epochs (the reference runs 1,000
 * iterations of batch 128 on 500 images; set {@code epochs} for a comparable number of steps).
 * Weight decay (default 0) applies to the masks. Models with fewer than two BatchNorm layers are
 * refused before anything changes.
 *
 * <p>TorchScript models are tuned in place like DJL-native ones (NFT never restores running
 * statistics, which DJL does not expose for TorchScript). Their BatchNorm layers are found by
 * parameter names and shapes, a group {@code P.weight}, {@code P.bias} of two vectors of the same
 * length, in the module's parameter order (its registration order, the forward order of most
 * models, which decides the unmasked first layer); LayerNorm and affine GroupNorm layers match too
 * and are masked like BatchNorm layers. Immutable and thread-safe.
 */
public final class NeuralMaskFineTuner extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "NFT";

    private static final double DEFAULT_MOMENTUM = 0.95;
    private static final double DEFAULT_MIN_LEARNING_RATE = 0.02;

    private final double regularization;
    private final double minLearningRate;
    private final double lowerBoundScale;
    private final double lowerBoundDecay;

    private NeuralMaskFineTuner(
            double regularization,
            double minLearningRate,
            double lowerBoundScale,
            double lowerBoundDecay,
            TuningConfig config) {
        super(
                NAME,
                options(regularization, minLearningRate, lowerBoundScale, lowerBoundDecay),
                CrossEntropySteps.require(NAME, config));
        this.regularization = regularization;
        this.minLearningRate = minLearningRate;
        this.lowerBoundScale = lowerBoundScale;
        this.lowerBoundDecay = lowerBoundDecay;
    }

    private static Map<String, Object> options(
            double regularization,
            double minLearningRate,
            double lowerBoundScale,
            double lowerBoundDecay) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("regularization", regularization);
        map.put("minLearningRate", minLearningRate);
        map.put("lowerBoundScale", lowerBoundScale);
        map.put("lowerBoundDecay", lowerBoundDecay);
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

    @Override
    protected TuningMethod newMethod() {
        return new Method();
    }

    /** NFT's additions to the loop: MixUp, mask gradients, the bounded mask step. */
    private final class Method implements TuningMethod {
        private BatchNormLayers layers;
        private LayerMasks masks;
        private double[] lowerBounds;
        private double imagesPerClass;

        @Override
        public void validate(Block block, ClassifierHead head) {
            int found = BatchNormLayers.find(block).size();
            if (found < 2) {
                throw new IllegalArgumentException(
                        "NFT needs BatchNorm layers to mask besides the first one (the stem's, which"
                                + " it leaves unmasked); the model has "
                                + found
                                + (block instanceof SymbolBlock
                                        ? " (in a TorchScript model, a parameter group P.weight,"
                                                + " P.bias of two vectors of the same length)"
                                        : ""));
            }
        }

        @Override
        public void prepare(TuningContext context) {
            List<BatchNormLayers.Layer> all = BatchNormLayers.find(context.block());
            layers = BatchNormLayers.capture(all.subList(1, all.size()), context.manager());
            masks = LayerMasks.ones(layers, context.manager());
            lowerBounds = new double[layers.size()];
            for (int k = 0; k < lowerBounds.length; k++) {
                lowerBounds[k] = lowerBoundScale * Math.exp(-lowerBoundDecay * (k + 1));
            }
            imagesPerClass = (double) context.trainingSize() / context.head().numClasses();
        }

        @Override
        public List<Parameter> trainableParameters(TuningContext context) {
            return layers.scales();
        }

        @Override
        public StepResult gradients(TuningContext context, MiniBatch batch) {
            NDManager scope = batch.manager();
            Random random = context.random();
            float lambda = (float) random.nextDouble();
            NDArray partners = scope.create(permutation(batch.size(), random));
            NDArray mixed =
                    batch.images()
                            .mul(lambda)
                            .add(batch.images().get(partners).mul(1 - lambda));
            NDArray partnerLabels = batch.labels().get(partners);
            masks.apply(scope);
            NDArray logits;
            NDArray loss;
            try (GradientCollector collector = context.newGradientCollector()) {
                logits = context.forward(mixed, true);
                loss =
                        context.crossEntropy(logits, batch.labels())
                                .mul(lambda)
                                .add(context.crossEntropy(logits, partnerLabels).mul(1 - lambda));
                collector.backward(loss);
            }
            List<NDArray> gradients = new ArrayList<>();
            double distance = 0;
            for (int i = 0; i < layers.size(); i++) {
                NDArray gap = scope.ones(masks.get(i).getShape(), masks.get(i).getDataType())
                        .sub(masks.get(i));
                distance += gap.abs().sum().getFloat();
                NDArray pull = gap.sign().mul((float) (regularization / imagesPerClass));
                gradients.add(layers.scaleGradient(i, scope).sub(pull));
            }
            layers.zeroGradients();
            loss = loss.add((float) (regularization * distance / imagesPerClass));
            return new StepResult(loss, logits, masks.gradients(gradients));
        }

        private long[] permutation(int size, Random random) {
            long[] order = new long[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                long t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            return order;
        }

        /** Keeps the masks within their bounds and writes them into the layers. */
        @Override
        public void afterStep(TuningContext context) {
            try (NDManager scope = context.manager().newSubManager()) {
                masks.clamp(lowerBounds, scope);
                masks.apply(scope);
            }
        }

        @Override
        public void finish(TuningContext context) {
            context.putDetail("masks", masks.snapshot());
            context.putDetail("maskedLayers", layers.size());
        }
    }

    /**
     * Builds a {@link NeuralMaskFineTuner}. Every option may be set once; each is validated at
     * once. Unset options keep the defaults listed in the class documentation.
     */
    public static final class Builder extends TunerBuilder<Builder> {
        private Double regularization;
        private Double minLearningRate;
        private Double lowerBoundScale;
        private Double lowerBoundDecay;

        private Builder() {
            super(TuningConfig.paperDefaults().withLearningRate(0.05).withEpochs(20)
                    .withMomentum(DEFAULT_MOMENTUM));
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the weight of the mask regulariser {@code sum|1 - m| / N_c}, {@code N_c} = tuning
         * images per class. Default 0.001 (the reference). {@code 0} switches it off.
         *
         * @param regularization finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if it is negative or not finite
         * @throws IllegalStateException if it was set before
         */
        public Builder regularization(double regularization) {
            requireUnset(this.regularization, "regularization");
            Preconditions.checkArgument(
                    Double.isFinite(regularization) && regularization >= 0,
                    "regularization must be a finite number >= 0 but was %s",
                    (Object) regularization);
            this.regularization = regularization;
            return this;
        }

        /**
         * Sets the rate the cosine schedule ends at instead of 0 ({@code eta_min}). Default 0.02
         * (the reference), or the learning rate when that is smaller.
         *
         * @param minLearningRate finite, {@code >= 0}, at most the learning rate (checked by
         *     {@link #build()})
         * @return this builder
         * @throws IllegalArgumentException if it is negative or not finite
         * @throws IllegalStateException if it was set before
         */
        public Builder minLearningRate(double minLearningRate) {
            requireUnset(this.minLearningRate, "minLearningRate");
            Preconditions.checkArgument(
                    Double.isFinite(minLearningRate) && minLearningRate >= 0,
                    "minLearningRate must be a finite number >= 0 but was %s",
                    (Object) minLearningRate);
            this.minLearningRate = minLearningRate;
            return this;
        }

        /**
         * Sets the lower bound of the first masked layer's masks: layer {@code k} (1-based, in
         * forward order) keeps its masks within {@code [lowerBoundScale * exp(-lowerBoundDecay * k),
         * 1]}. Default 0.8 (the reference). {@code 0} lets every mask reach 0.
         *
         * @param lowerBoundScale in {@code [0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if it is outside [0, 1]
         * @throws IllegalStateException if it was set before
         */
        public Builder lowerBoundScale(double lowerBoundScale) {
            requireUnset(this.lowerBoundScale, "lowerBoundScale");
            Preconditions.checkArgument(
                    lowerBoundScale >= 0 && lowerBoundScale <= 1,
                    "lowerBoundScale must be in [0, 1] but was %s",
                    (Object) lowerBoundScale);
            this.lowerBoundScale = lowerBoundScale;
            return this;
        }

        /**
         * Sets how fast the masks' lower bound falls with depth, see {@link #lowerBoundScale}.
         * Default 0.5 (the reference). {@code 0} gives every layer the same bound.
         *
         * @param lowerBoundDecay finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if it is negative or not finite
         * @throws IllegalStateException if it was set before
         */
        public Builder lowerBoundDecay(double lowerBoundDecay) {
            requireUnset(this.lowerBoundDecay, "lowerBoundDecay");
            Preconditions.checkArgument(
                    Double.isFinite(lowerBoundDecay) && lowerBoundDecay >= 0,
                    "lowerBoundDecay must be a finite number >= 0 but was %s",
                    (Object) lowerBoundDecay);
            this.lowerBoundDecay = lowerBoundDecay;
            return this;
        }

        /**
         * Builds the immutable tuner.
         *
         * @return the tuner
         * @throws IllegalArgumentException if minLearningRate exceeds the learning rate
         */
        public NeuralMaskFineTuner build() {
            TuningConfig config = config();
            Preconditions.checkArgument(
                    config.schedule().equals(LearningRateSchedule.cosine()),
                    "NFT's schedule is the cosine schedule down to minLearningRate; set minLearningRate"
                            + " instead of schedule %s",
                    config.schedule());
            double floor =
                    minLearningRate != null
                            ? minLearningRate
                            : Math.min(DEFAULT_MIN_LEARNING_RATE, config.learningRate());
            Preconditions.checkArgument(
                    floor <= config.learningRate(),
                    "minLearningRate (%s) must be <= learningRate (%s)",
                    (Object) floor,
                    (Object) config.learningRate());
            return new NeuralMaskFineTuner(
                    regularization != null ? regularization : 0.001,
                    floor,
                    lowerBoundScale != null ? lowerBoundScale : 0.8,
                    lowerBoundDecay != null ? lowerBoundDecay : 0.5,
                    config.withSchedule(LearningRateSchedule.cosineWithFloor(floor)));
        }
    }
}
