package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.common.base.Preconditions;
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
 * I-BAU, implicit backdoor adversarial unlearning (Zeng et al., "Adversarial Unlearning of
 * Backdoors via Implicit Hypergradient", ICLR 2022), as BackdoorBench runs it for the FST paper's
 * comparison: a min-max game in which a universal perturbation {@code delta} plays the trigger and
 * the model learns to ignore it.
 *
 * <pre>{@code
 * PurificationResult result = ImplicitBackdoorUnlearner.builder().build().purify(model, data);
 * }</pre>
 *
 * <p>The model runs in <em>inference</em> mode throughout (BatchNorm uses and keeps its running
 * statistics; gradients still flow). TorchScript models included: {@link
 * TuningContext#forward} runs them in evaluation mode with autograd on, where DJL's own inference
 * forward of a TorchScript module would disable autograd. One epoch is one I-BAU round:
 *
 * <ol>
 *   <li>At the round's first mini-batch, {@code delta} (shape 1 x C x H x W) restarts at 0 and
 *       takes one plain SGD step (rate {@code perturbationLearningRate}) per mini-batch of one pass
 *       over the tuning data, minimising {@code -CE(f(x + delta), argmax f(x)) + perturbationL2 *
 *       |delta|^2}: it learns to flip the model's own predictions.
 *   <li>For every mini-batch {@code (x, y)}: the outer loss {@code l_out = CE(f(x~), y)}, where
 *       {@code x~} adds {@code delta} to a random {@code portion} of the images (at least one);
 *       its gradient with respect to the weights is corrected for {@code delta}'s dependence on
 *       them by the implicit hypergradient of {@link Hypergradient} ({@code fixedPointIterations}
 *       fixed-point iterations on the inner map {@code delta - innerRate * grad_delta l_in}, with
 *       {@code l_in = -CE(f(x0 + delta), y0) + perturbationL2 * |delta|^2} on the run's first
 *       mini-batch {@code (x0, y0)}); the Hessian-vector products are exact, by double
 *       differentiation through {@code torch.autograd.grad} (see {@link TorchAutograd} for why
 *       not DJL's create-graph backward, which leaks, nor finite differences, which are wrong
 *       on ReLU networks).
 *   <li>All trainable weights take one Adam step with AMSGrad ({@link AmsgradAdam}, betas 0.9 and
 *       0.999, eps 1e-8, the configured weight decay) on that hypergradient.
 * </ol>
 *
 * <p>Defaults are BackdoorBench's (its CIFAR-10 I-BAU config): {@code perturbationLearningRate}
 * 10, {@code perturbationL2} 0.001, {@code innerRate} 0.1, {@code fixedPointIterations} 5, {@code
 * portion} 0.01; shared options as {@link TuningConfig} except 5 epochs (= BackdoorBench's 5
 * rounds), learning rate 1e-4, the optimizer ({@link AmsgradAdam#factory()}, which ignores {@code
 * momentum}) and a {@link LearningRateSchedule#constant() constant} schedule. The perturbation
 * search of a round runs at the start of its epoch ({@link TuningMethod#startEpoch}). Before its first
 * step a run takes one throwaway Hessian-vector product: the first such product of a process was
 * intermittently wrong (docs/baselines.md, I-BAU, "Observed instability"). Every step costs one forward and backward pass on
 * the batch, one forward pass and a double differentiation on {@code x0} with {@code
 * fixedPointIterations} products taken from it, and each round one extra pass over the data.
 * Instances are immutable and thread-safe.
 */
public final class ImplicitBackdoorUnlearner extends AbstractPurifier {

    /** The method's name in results and tables. */
    public static final String NAME = "I-BAU";

    private final double perturbationLearningRate;
    private final double perturbationL2;
    private final double innerRate;
    private final int fixedPointIterations;
    private final double portion;

    private ImplicitBackdoorUnlearner(
            double perturbationLearningRate,
            double perturbationL2,
            double innerRate,
            int fixedPointIterations,
            double portion,
            TuningConfig config) {
        super(
                NAME,
                options(
                        perturbationLearningRate, perturbationL2, innerRate, fixedPointIterations,
                        portion),
                CrossEntropySteps.require(NAME, config));
        this.perturbationLearningRate = perturbationLearningRate;
        this.perturbationL2 = perturbationL2;
        this.innerRate = innerRate;
        this.fixedPointIterations = fixedPointIterations;
        this.portion = portion;
    }

    private static Map<String, Object> options(
            double perturbationLearningRate,
            double perturbationL2,
            double innerRate,
            int fixedPointIterations,
            double portion) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("perturbationLearningRate", perturbationLearningRate);
        map.put("perturbationL2", perturbationL2);
        map.put("innerRate", innerRate);
        map.put("fixedPointIterations", fixedPointIterations);
        map.put("portion", portion);
        return map;
    }

    /**
     * Starts a builder with the defaults of the class documentation.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the SGD step of the perturbation search.
     *
     * @return the rate, {@code > 0}
     */
    public double perturbationLearningRate() {
        return perturbationLearningRate;
    }

    /**
     * Returns the factor of {@code |delta|^2} in the perturbation and inner losses.
     *
     * @return the factor, {@code >= 0}
     */
    public double perturbationL2() {
        return perturbationL2;
    }

    /**
     * Returns the step of the inner fixed-point map.
     *
     * @return the rate, {@code > 0}
     */
    public double innerRate() {
        return innerRate;
    }

    /**
     * Returns the number of fixed-point iterations per hypergradient.
     *
     * @return K, {@code >= 1}
     */
    public int fixedPointIterations() {
        return fixedPointIterations;
    }

    /**
     * Returns the share of each mini-batch's images that get the perturbation in the outer loss.
     *
     * @return the share, in {@code (0, 1]}
     */
    public double portion() {
        return portion;
    }

    @Override
    protected TuningMethod newMethod() {
        return new Method();
    }

    /**
     * Returns how many images of a mini-batch get the perturbation: {@code floor(size * portion)},
     * but at least one.
     *
     * @param size the mini-batch size
     * @param portion the share, in {@code (0, 1]}
     * @return the count, in {@code [1, size]}
     */
    static int perturbedCount(int size, double portion) {
        return Math.max(1, (int) Math.floor(size * portion));
    }

    /** I-BAU's additions to the loop: the perturbation rounds, the hypergradient, Adam. */
    private final class Method implements TuningMethod {
        private UnlearningLosses losses;
        private NDArray firstImages;
        private NDArray firstLabels;
        private NDArray delta;
        private final List<Double> perturbationNorms = new ArrayList<>();
        private long iterationsRun;
        private long steps;

        @Override
        public void prepare(TuningContext context) {
            List<NDArray> arrays = new ArrayList<>();
            context.parameters().forEach(p -> arrays.add(p.getArray()));
            losses =
                    new UnlearningLosses(
                            x -> context.forward(x, false),
                            arrays,
                            context::newGradientCollector,
                            perturbationL2);
        }

        /** A round's perturbation search: one pass over the data before the round's steps. */
        @Override
        public void startEpoch(TuningContext context) {
            if (delta != null) {
                delta.close();
                delta = null;
            }
            context.forEachTrainingBatch(b -> {
                if (delta == null) {
                    Shape images = b.images().getShape();
                    delta = context.manager().zeros(new Shape(1, images.get(1), images.get(2), images.get(3)));
                }
                losses.perturbationStep(b.images(), delta, perturbationLearningRate, b.manager());
            });
            double norm = Hypergradient.norm(delta);
            perturbationNorms.add(norm);
            if (!Double.isFinite(norm)) {
                throw new IllegalStateException(
                        "the universal perturbation diverged: |delta| = " + norm);
            }
        }

        /** The hypergradient of the unlearning objective, the complete update of the step. */
        @Override
        public StepResult gradients(TuningContext context, MiniBatch batch) {
            NDManager scope = batch.manager();
            if (firstImages == null) {
                firstImages = keep(batch.images(), context);
                firstLabels = keep(batch.labels(), context);
                warmUpCurvature(scope);
            }
            NDArray rowMask = rowMask(batch.size(), context.random(), scope);
            UnlearningLosses.Outer outer =
                    losses.outerGradient(batch.images(), batch.labels(), rowMask, delta, scope);
            Hypergradient.Result result;
            try (UnlearningLosses.InnerCurvature curvature =
                    losses.curvature(firstImages, firstLabels, delta, scope)) {
                result =
                        Hypergradient.compute(
                                outer.gradients(),
                                curvature,
                                innerRate,
                                fixedPointIterations,
                                scope);
            }
            iterationsRun += result.iterations();
            steps++;
            Map<Parameter, NDArray> gradients = new LinkedHashMap<>();
            List<Parameter> parameters = context.parameters();
            for (int i = 0; i < parameters.size(); i++) {
                gradients.put(parameters.get(i), result.weights().get(i));
            }
            return new StepResult(outer.loss(), outer.logits(), gradients);
        }

        @Override
        public void finish(TuningContext context) {
            context.putDetail("perturbationNorms", perturbationNorms);
            context.putDetail(
                    "meanFixedPointIterations", steps == 0 ? 0.0 : (double) iterationsRun / steps);
            context.putDetail("innerBatchSize", firstImages.getShape().get(0));
        }

        /**
         * Takes one Hessian-vector product and discards it. The first double differentiation of a
         * process gave a wrong product in 7 of 20 runs of the lab's smoke test and the later ones
         * never did; the real products start from the second.
         */
        private void warmUpCurvature(NDManager scope) {
            try (NDManager warmUp = scope.newSubManager();
                    UnlearningLosses.InnerCurvature curvature =
                            losses.curvature(firstImages, firstLabels, delta, warmUp)) {
                curvature.times(warmUp.ones(delta.getShape(), delta.getDataType()), true, warmUp);
            }
        }

        private NDArray rowMask(int size, Random random, NDManager scope) {
            int[] rows = new int[size];
            for (int i = 0; i < size; i++) {
                rows[i] = i;
            }
            int count = perturbedCount(size, portion);
            float[] mask = new float[size];
            for (int i = 0; i < count; i++) {
                int j = i + random.nextInt(size - i);
                int t = rows[i];
                rows[i] = rows[j];
                rows[j] = t;
                mask[rows[i]] = 1f;
            }
            return scope.create(mask, new Shape(size, 1, 1, 1));
        }

        private NDArray keep(NDArray array, TuningContext context) {
            NDArray copy = array.duplicate();
            copy.attach(context.manager());
            return copy;
        }
    }

    /**
     * Builds an {@link ImplicitBackdoorUnlearner}. Every option may be set once and is validated at
     * once ({@code IllegalArgumentException} names the option, its valid range and the value;
     * {@code IllegalStateException} a second call). Unset options keep the defaults of the class
     * documentation.
     */
    public static final class Builder extends TunerBuilder<Builder> {
        private Double perturbationLearningRate;
        private Double perturbationL2;
        private Double innerRate;
        private Integer fixedPointIterations;
        private Double portion;

        private Builder() {
            super(TuningConfig.paperDefaults().withEpochs(5).withLearningRate(1e-4)
                    .withOptimizer(AmsgradAdam.factory())
                    .withSchedule(LearningRateSchedule.constant())); // as BackdoorBench
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the plain-SGD step of the universal-perturbation search. Default 10 (BackdoorBench
         * and the original code).
         *
         * @param rate finite, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if set before
         */
        public Builder perturbationLearningRate(double rate) {
            requireUnset(perturbationLearningRate, "perturbationLearningRate");
            perturbationLearningRate = positive("perturbationLearningRate", rate);
            return this;
        }

        /**
         * Sets the factor of {@code |delta|^2} in the perturbation search and the inner loss.
         * Default 0.001.
         *
         * @param factor finite, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if set before
         */
        public Builder perturbationL2(double factor) {
            requireUnset(perturbationL2, "perturbationL2");
            Preconditions.checkArgument(
                    Double.isFinite(factor) && factor >= 0,
                    "perturbationL2 must be a finite number >= 0 but was %s",
                    (Object) factor);
            perturbationL2 = factor;
            return this;
        }

        /**
         * Sets the step of the inner fixed-point map {@code delta - innerRate * grad_delta l_in}.
         * Default 0.1.
         *
         * @param rate finite, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if set before
         */
        public Builder innerRate(double rate) {
            requireUnset(innerRate, "innerRate");
            innerRate = positive("innerRate", rate);
            return this;
        }

        /**
         * Sets the number K of fixed-point iterations per hypergradient. Default 5.
         *
         * @param iterations {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if set before
         */
        public Builder fixedPointIterations(int iterations) {
            requireUnset(fixedPointIterations, "fixedPointIterations");
            Preconditions.checkArgument(
                    iterations >= 1,
                    "fixedPointIterations must be >= 1 but was %s",
                    (Object) iterations);
            fixedPointIterations = iterations;
            return this;
        }

        /**
         * Sets the share of each mini-batch's images that get the perturbation in the outer loss
         * ({@code floor(batch * portion)} images, at least one). Default 0.01.
         *
         * @param share in {@code (0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if set before
         */
        public Builder portion(double share) {
            requireUnset(portion, "portion");
            Preconditions.checkArgument(
                    share > 0 && share <= 1,
                    "portion must be in (0, 1] but was %s",
                    (Object) share);
            portion = share;
            return this;
        }

        private static double positive(String option, double value) {
            Preconditions.checkArgument(
                    Double.isFinite(value) && value > 0,
                    "%s must be a finite number > 0 but was %s",
                    option,
                    value);
            return value;
        }

        /**
         * Builds the immutable tuner.
         *
         * @return the tuner
         */
        public ImplicitBackdoorUnlearner build() {
            return new ImplicitBackdoorUnlearner(
                    perturbationLearningRate != null ? perturbationLearningRate : 10.0,
                    perturbationL2 != null ? perturbationL2 : 0.001,
                    innerRate != null ? innerRate : 0.1,
                    fixedPointIterations != null ? fixedPointIterations : 5,
                    portion != null ? portion : 0.01,
                    config());
        }
    }
}
