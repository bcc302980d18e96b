package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.common.base.Preconditions;
import dev.fst.eval.Rate;
import dev.fst.head.ClassifierHead;
import dev.fst.internal.EngineAdapter;
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

/**
 * Adversarial Neuron Pruning (ANP; Wu and Wang, "Adversarial Neuron Pruning Purifies Backdoored
 * Deep Models", NeurIPS 2021), as BackdoorBench implements it and the FST paper runs it: learns one
 * mask per BatchNorm channel that keeps the model accurate even under adversarial perturbations of
 * the neurons, then prunes the channels with the smallest masks.
 *
 * <p>Every BatchNorm channel gets a mask {@code m} (initially 1). Per mini-batch, in training mode:
 *
 * <ol>
 *   <li>draw per-channel noise {@code delta, xi ~ U(-eps, eps)};
 *   <li>one step of sign-gradient ascent on the cross-entropy of the perturbed model, whose
 *       BatchNorm scales and shifts are {@code gamma0 * (m + delta)} and {@code beta0 * (1 + xi)}:
 *       {@code delta += eps * sign(dCE/ddelta)}, {@code xi += eps * sign(dCE/dxi)} (not clipped
 *       afterwards, as in the reference);
 *   <li>mask loss {@code alpha * CE(gamma0 * m, beta0) + (1 - alpha) * CE(perturbed)}, as two
 *       sequential forward/backward passes, and one SGD step on the masks at the configured
 *       learning rate, held constant as in the reference (the loop's cosine rate is ignored);
 *       masks are clamped to [0, 1].
 * </ol>
 *
 * <p>No block is replaced: the live BatchNorm parameter arrays are rewritten in place before each
 * pass, and mask gradients follow from theirs by the chain rule. After the last epoch the original
 * scales, shifts and running statistics are restored (the reference prunes a fresh copy of the
 * original model), and for thresholds {@code 0, pruningStep, 2 * pruningStep, ...,} up to {@code
 * pruningMax}, the scale {@code gamma} of every channel whose mask is {@code <=} the threshold is
 * set to 0 and the accuracy on the held-out share of the clean tuning images is measured. The
 * largest threshold whose held-out accuracy stays at or above {@code (1 - maxAccuracyDrop)} times
 * the unpruned model's is applied. The only weights that differ from the original model afterwards
 * are the pruned scales. If no threshold qualifies, nothing is pruned and the threshold is NaN.
 *
 * <p><b>TorchScript models.</b> DJL does not expose a TorchScript module's buffers, so its running
 * statistics cannot be restored in place. The masks are therefore learned on a working copy of the
 * module (serialised and read back into the run's manager, which closes it when the run ends,
 * also on failure), whose BatchNorm parameters they rewrite; every other parameter of the copy is
 * frozen, so its backward passes reach the BatchNorm parameters only. The model itself is not
 * touched while the masks are learned. At the end its own BatchNorm layers, found by the same
 * parameter names, are pruned with the learned masks, and the threshold is chosen on its held-out
 * accuracy exactly as above. BatchNorm layers of a TorchScript model are found by parameter names
 * and shapes ({@code P.weight}, {@code P.bias} of equal-length vectors), which also matches
 * LayerNorm and affine GroupNorm layers. The copy costs one serialisation and one more set of
 * weights in memory.
 *
 * <p>Details in the result: {@code threshold}, {@code prunedChannels}, {@code
 * heldOutAccuracyBefore}, {@code heldOutAccuracyAfter} and {@code masks} ({@link ChannelMasks}).
 *
 * <p>Options and defaults: {@code eps} 0.4, {@code alpha} 0.2, {@code pruningStep} 0.05, {@code
 * pruningMax} 0.9, {@code maxAccuracyDrop} 0.1 (relative); the threshold is chosen on the shared held-out share
 * of the tuning images ({@code heldOutFraction}, default 0.2, which must not be 0 for ANP); shared
 * options as in {@link TuningConfig} except learning rate 0.2 (the mask rate of the original ANP
 * code; BackdoorBench's configuration uses 0.01) and 20 epochs (the reference runs 2,000 iterations
 * of batch 256; set {@code epochs} for a comparable number of steps). Momentum and weight decay
 * (defaults 0.9 and 0) apply to the masks. Models without BatchNorm layers are refused before
 * anything changes. Immutable and thread-safe.
 */
public final class AdversarialNeuronPruner extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "ANP";

    private final double eps;
    private final double alpha;
    private final double pruningStep;
    private final double pruningMax;
    private final double maxAccuracyDrop;

    private AdversarialNeuronPruner(
            double eps,
            double alpha,
            double pruningStep,
            double pruningMax,
            double maxAccuracyDrop,
            TuningConfig config) {
        super(
                NAME,
                options(eps, alpha, pruningStep, pruningMax, maxAccuracyDrop),
                CrossEntropySteps.require(NAME, config));
        this.eps = eps;
        this.alpha = alpha;
        this.pruningStep = pruningStep;
        this.pruningMax = pruningMax;
        this.maxAccuracyDrop = maxAccuracyDrop;
    }

    private static Map<String, Object> options(
            double eps,
            double alpha,
            double pruningStep,
            double pruningMax,
            double maxAccuracyDrop) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("eps", eps);
        map.put("alpha", alpha);
        map.put("pruningStep", pruningStep);
        map.put("pruningMax", pruningMax);
        map.put("maxAccuracyDrop", maxAccuracyDrop);
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

    /** ANP's additions to the loop: noisy and masked passes per batch, pruning at the end. */
    private final class Method implements TuningMethod {
        /** The layers the masks rewrite while they are learned (the working copy's, if any). */
        private BatchNormLayers layers;
        /** The model's own layers, which pruning sets: {@code layers} itself without a copy. */
        private BatchNormLayers modelLayers;
        /** TorchScript models: the copy of the module the masks are learned on; else null. */
        private Block workingCopy;
        private ParameterStore copyStore;
        private LayerMasks masks;
        private double[] lowerBounds;

        @Override
        public void validate(Block block, ClassifierHead head) {
            if (BatchNormLayers.find(block).isEmpty()) {
                throw new IllegalArgumentException(
                        "ANP needs BatchNorm layers to mask; the model has none"
                                + (block instanceof SymbolBlock
                                        ? " (in a TorchScript model, a parameter group P.weight,"
                                                + " P.bias of two vectors of the same length)"
                                        : ""));
            }
        }

        @Override
        public boolean needsHeldOut() {
            return true;
        }

        @Override
        public void prepare(TuningContext context) {
            NDManager manager = context.manager();
            modelLayers = BatchNormLayers.capture(BatchNormLayers.find(context.block()), manager);
            if (context.block() instanceof SymbolBlock) {
                workingCopy = EngineAdapter.copyModule(context.block(), manager);
                copyStore = new ParameterStore(manager, false);
                layers = BatchNormLayers.capture(trainableLayers(workingCopy), manager);
                for (int i = 0; i < layers.size(); i++) {
                    if (!layers.layer(i).name().equals(modelLayers.layer(i).name())) {
                        throw new IllegalStateException(
                                "the working copy's BatchNorm layers differ from the model's: "
                                        + layers.layer(i).name() + " against "
                                        + modelLayers.layer(i).name());
                    }
                }
            } else {
                layers = modelLayers;
            }
            masks = LayerMasks.ones(layers, manager);
            lowerBounds = new double[layers.size()];
        }

        /**
         * Finds the copy's BatchNorm layers and freezes every other parameter of it, so that its
         * backward passes reach the BatchNorm scales and shifts only.
         */
        private List<BatchNormLayers.Layer> trainableLayers(Block copy) {
            copy.freezeParameters(true);
            List<BatchNormLayers.Layer> found = BatchNormLayers.find(copy);
            for (BatchNormLayers.Layer layer : found) {
                layer.gamma().freeze(false);
                layer.beta().freeze(false);
            }
            return found;
        }

        @Override
        public List<Parameter> trainableParameters(TuningContext context) {
            List<Parameter> trainable = new ArrayList<>(layers.scales());
            trainable.addAll(layers.shifts());
            return trainable;
        }

        @Override
        public StepResult gradients(TuningContext context, MiniBatch batch) {
            NDManager scope = batch.manager();
            boolean perturbed = alpha < 1;
            NeuronNoise noise = null;
            if (perturbed) {
                noise = NeuronNoise.uniform(layers, eps, scope);
                if (eps > 0) {
                    noise.apply(layers, masks, scope);
                    backward(context, batch, 1f);
                    noise.ascend(layers, scope);
                    layers.zeroGradients();
                }
            }
            masks.apply(scope);
            NDArray[] clean = backward(context, batch, (float) alpha);
            List<NDArray> gradients = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                gradients.add(layers.scaleGradient(i, scope));
            }
            layers.zeroGradients();
            NDArray loss = clean[1];
            if (perturbed) {
                noise.apply(layers, masks, scope);
                NDArray[] noisy = backward(context, batch, (float) (1 - alpha));
                for (int i = 0; i < layers.size(); i++) {
                    gradients.set(i, gradients.get(i).add(layers.scaleGradient(i, scope)));
                }
                layers.zeroGradients();
                loss = loss.add(noisy[1]);
            }
            return new StepResult(loss, clean[0], masks.gradients(gradients));
        }

        /**
         * One forward pass in training mode and a backward pass of {@code weight * CE}; returns
         * the logits and the weighted loss.
         */
        private NDArray[] backward(TuningContext context, MiniBatch batch, float weight) {
            try (GradientCollector collector = context.newGradientCollector()) {
                NDArray logits =
                        workingCopy == null
                                ? context.forward(batch.images(), true)
                                : workingCopy
                                        .forward(copyStore, new NDList(batch.images()), true)
                                        .singletonOrThrow();
                NDArray loss = context.crossEntropy(logits, batch.labels()).mul(weight);
                collector.backward(loss);
                return new NDArray[] {logits, loss};
            }
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
            if (workingCopy == null) {
                layers.restore(true); // the model itself drifted while the masks were learned
            }
            ChannelMasks learned = masks.snapshot();
            List<float[]> values = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                values.add(masks.host(i));
            }
            Rate before = context.heldOutAccuracy();
            double chosen = Double.NaN;
            Rate after = before;
            int steps = (int) Math.floor(pruningMax / pruningStep + 1e-9);
            for (int k = 0; k <= steps; k++) {
                double threshold = Math.round(k * pruningStep * 1e9) / 1e9; // 0.15, not 0.15000000000000002
                prune(context, values, threshold);
                Rate accuracy = context.heldOutAccuracy();
                if (accuracy.hits() >= (1 - maxAccuracyDrop) * before.hits() - 1e-9) {
                    chosen = threshold;
                    after = accuracy;
                }
            }
            int pruned = 0;
            if (Double.isNaN(chosen)) {
                modelLayers.restore(false);
            } else {
                pruned = prune(context, values, chosen);
            }
            context.putDetail("threshold", chosen);
            context.putDetail("prunedChannels", pruned);
            context.putDetail("heldOutAccuracyBefore", before);
            context.putDetail("heldOutAccuracyAfter", after);
            context.putDetail("masks", learned);
        }

        /**
         * Sets gamma = 0 for every channel whose mask is {@code <= threshold} and gamma = gamma0
         * elsewhere (shifts stay original); returns the number of pruned channels.
         */
        private int prune(TuningContext context, List<float[]> values, double threshold) {
            int pruned = 0;
            try (NDManager scope = context.manager().newSubManager()) {
                for (int i = 0; i < modelLayers.size(); i++) {
                    float[] mask = values.get(i);
                    float[] keep = new float[mask.length];
                    for (int c = 0; c < mask.length; c++) {
                        boolean prune = mask[c] <= threshold;
                        keep[c] = prune ? 0f : 1f;
                        pruned += prune ? 1 : 0;
                    }
                    DataType type = modelLayers.originalScale(i).getDataType();
                    NDArray factor = scope.create(keep).toType(type, false);
                    modelLayers.set(i, factor, null, scope);
                }
            }
            return pruned;
        }
    }

    /**
     * Builds an {@link AdversarialNeuronPruner}. Every option may be set once; each is validated at
     * once. Unset options keep the defaults listed in the class documentation.
     */
    public static final class Builder extends TunerBuilder<Builder> {
        private Double eps;
        private Double alpha;
        private Double pruningStep;
        private Double pruningMax;
        private Double maxAccuracyDrop;

        private Builder() {
            super(TuningConfig.paperDefaults().withLearningRate(0.2).withEpochs(20)
                    .withSchedule(LearningRateSchedule.constant())); // the mask rate does not decay
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the perturbation budget: the noise on each mask and each relative shift is drawn
         * from, and moved by one signed step of, {@code eps}. Default 0.4 (the reference). {@code 0}
         * switches the perturbation off.
         *
         * @param eps finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if eps is negative or not finite
         * @throws IllegalStateException if eps was set before
         */
        public Builder eps(double eps) {
            requireUnset(this.eps, "eps");
            Preconditions.checkArgument(
                    Double.isFinite(eps) && eps >= 0, "eps must be a finite number >= 0 but was %s",
                    (Object) eps);
            this.eps = eps;
            return this;
        }

        /**
         * Sets the trade-off between the clean and the perturbed loss: {@code alpha * CE(clean) +
         * (1 - alpha) * CE(perturbed)}. Default 0.2 (the reference). {@code 1} ignores the
         * perturbation (no perturbed passes are run).
         *
         * @param alpha in {@code [0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if alpha is outside [0, 1]
         * @throws IllegalStateException if alpha was set before
         */
        public Builder alpha(double alpha) {
            requireUnset(this.alpha, "alpha");
            this.alpha = checkUnit("alpha", alpha);
            return this;
        }

        /**
         * Sets the distance between the pruning thresholds tried. Default 0.05 (the reference).
         *
         * @param pruningStep in {@code (0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if it is outside (0, 1]
         * @throws IllegalStateException if it was set before
         */
        public Builder pruningStep(double pruningStep) {
            requireUnset(this.pruningStep, "pruningStep");
            Preconditions.checkArgument(
                    pruningStep > 0 && pruningStep <= 1,
                    "pruningStep must be in (0, 1] but was %s",
                    (Object) pruningStep);
            this.pruningStep = pruningStep;
            return this;
        }

        /**
         * Sets the largest pruning threshold tried. Default 0.9 (the reference).
         *
         * @param pruningMax in {@code [0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if it is outside [0, 1]
         * @throws IllegalStateException if it was set before
         */
        public Builder pruningMax(double pruningMax) {
            requireUnset(this.pruningMax, "pruningMax");
            this.pruningMax = checkUnit("pruningMax", pruningMax);
            return this;
        }

        /**
         * Sets the largest relative drop of held-out accuracy a pruning threshold may cause: the
         * largest threshold whose accuracy is {@code >= (1 - maxAccuracyDrop)} times the unpruned
         * accuracy is applied. Default 0.1 (BackdoorBench's {@code acc_ratio}). {@code 0} allows no
         * drop, {@code 1} always applies {@code pruningMax}.
         *
         * @param maxAccuracyDrop in {@code [0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if it is outside [0, 1]
         * @throws IllegalStateException if it was set before
         */
        public Builder maxAccuracyDrop(double maxAccuracyDrop) {
            requireUnset(this.maxAccuracyDrop, "maxAccuracyDrop");
            this.maxAccuracyDrop = checkUnit("maxAccuracyDrop", maxAccuracyDrop);
            return this;
        }

        private static double checkUnit(String option, double value) {
            Preconditions.checkArgument(
                    value >= 0 && value <= 1, "%s must be in [0, 1] but was %s", option,
                    (Object) value);
            return value;
        }

        /**
         * Builds the immutable tuner.
         *
         * @return the tuner
         */
        public AdversarialNeuronPruner build() {
            return new AdversarialNeuronPruner(
                    eps != null ? eps : 0.4,
                    alpha != null ? alpha : 0.2,
                    pruningStep != null ? pruningStep : 0.05,
                    pruningMax != null ? pruningMax : 0.9,
                    maxAccuracyDrop != null ? maxAccuracyDrop : 0.1,
                    config());
        }
    }
}
