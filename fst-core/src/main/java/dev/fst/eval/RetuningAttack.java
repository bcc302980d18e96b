package dev.fst.eval;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.util.Pair;
import com.google.common.base.Preconditions;
import dev.fst.data.Augmentation;
import dev.fst.internal.BatchStaging;
import dev.fst.internal.ImageSet;
import dev.fst.internal.ModelSnapshot;
import dev.fst.optim.TorchSgd;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retuning attack of Min et al., "Uncovering, Explaining, and Mitigating the Superficial Safety
 * of Backdoor Defense" (NeurIPS 2024, arXiv:2410.09838): does a purified model stay purified when
 * someone fine-tunes it on a little data that holds a few poisoned samples? The paper finds that
 * models whose attack success rate was brought near 0 by most defenses, FST among them, regain the
 * backdoor within a few epochs; exact purification and PAM do not.
 *
 * <pre>{@code
 * RetuningResult r = RetuningAttack.builder().samples(5).build()
 *         .evaluate(purified, tuningSet, triggeredImages, target, cleanTest, triggeredTest);
 * r.pAsr();   // post-purification ASR of the retuned copy
 * }</pre>
 *
 * <p><b>What one evaluation does.</b>
 *
 * <ol>
 *   <li>Builds the retuning set: the defender's tuning set in which {@code samples} images are
 *       replaced by triggered images relabelled to the target class. The replaced positions are the
 *       first {@code samples} entries of a permutation of the tuning set's indices drawn from
 *       {@code java.util.Random(seed)}; the replacements are the first {@code samples} images of
 *       {@code triggeredImages}, in index order, whose true class is not the target (a target-class
 *       image relabelled to the target teaches no backdoor). Pass a shuffled set for a random choice
 *       of replacements.
 *   <li>Fine-tunes every trainable parameter of the model on it: {@code epochs} passes, shuffled
 *       with the same random source and augmented with {@code augmentation}, mean cross-entropy,
 *       BatchNorm in training mode (batch statistics used, running statistics updated, as in any
 *       fine-tuning), SGD with PyTorch semantics ({@link TorchSgd}, no weight decay) at a constant
 *       learning rate. The engine's random state (dropout) is seeded with {@code seed}.
 *   <li>Measures, in inference mode, the attack success rate on {@code triggeredTest} (the
 *       post-purification ASR, P-ASR) and the accuracy on {@code cleanTest}.
 *   <li>Puts the model back exactly as it was: every parameter, BatchNorm running statistics
 *       included, and each parameter's gradient flag; a TorchScript module is restored by swapping
 *       in a copy serialised before the attack ({@link Model#setBlock}), so references to its
 *       previous block or parameters are stale afterwards. This happens on failure too, before the
 *       exception propagates.
 * </ol>
 *
 * <p>Core knows nothing of triggers: the caller applies the trigger. {@code triggeredImages} are
 * the attacker's own triggered images (for example triggered training images, not the test images
 * P-ASR is measured on), labelled with their true classes; the attack relabels the ones it uses.
 *
 * <p><b>Settings</b>, each set at most once on the {@link Builder}:
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>valid</th></tr>
 *   <tr><td>samples</td><td>5</td><td>&ge; 0, at most the tuning set's size; 0 fine-tunes on
 *       clean data only, a control</td></tr>
 *   <tr><td>learningRate</td><td>0.01, constant</td><td>finite, &gt; 0</td></tr>
 *   <tr><td>momentum</td><td>0.9 (PyTorch semantics)</td><td>[0, 1)</td></tr>
 *   <tr><td>epochs</td><td>5</td><td>&ge; 1</td></tr>
 *   <tr><td>batchSize</td><td>128</td><td>&ge; 1</td></tr>
 *   <tr><td>seed</td><td>0</td><td>any</td></tr>
 *   <tr><td>augmentation</td><td>{@link Augmentation#none()}</td><td>any</td></tr>
 * </table>
 *
 * <p>Instances are immutable and thread-safe; evaluations are serialised JVM-wide. DJL's PyTorch
 * engine records gradients for one thread at a time, so do not run an evaluation while a tuning run
 * ({@code Purifier.purify}) is in progress on another thread.
 */
public final class RetuningAttack {

    private static final Logger logger = LoggerFactory.getLogger(RetuningAttack.class);
    private static final Object LOCK = new Object();
    private static final int PROBE_IMAGES = 2;

    private final int samples;
    private final double learningRate;
    private final double momentum;
    private final int epochs;
    private final int batchSize;
    private final long seed;
    private final Augmentation augmentation;

    private RetuningAttack(Builder builder) {
        this.samples = builder.samples != null ? builder.samples : 5;
        this.learningRate = builder.learningRate != null ? builder.learningRate : 0.01;
        this.momentum = builder.momentum != null ? builder.momentum : 0.9;
        this.epochs = builder.epochs != null ? builder.epochs : 5;
        this.batchSize = builder.batchSize != null ? builder.batchSize : 128;
        this.seed = builder.seed != null ? builder.seed : 0L;
        this.augmentation = builder.augmentation != null ? builder.augmentation : Augmentation.none();
    }

    /**
     * Starts a builder with the defaults listed in the class documentation.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the number of tuning images replaced by poisoned ones.
     *
     * @return {@code >= 0}
     */
    public int samples() {
        return samples;
    }

    /**
     * Returns the constant learning rate.
     *
     * @return {@code > 0}
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Returns the SGD momentum.
     *
     * @return in {@code [0, 1)}
     */
    public double momentum() {
        return momentum;
    }

    /**
     * Returns the number of passes over the retuning set.
     *
     * @return {@code >= 1}
     */
    public int epochs() {
        return epochs;
    }

    /**
     * Returns the mini-batch size.
     *
     * @return {@code >= 1}
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Returns the seed of every random choice of the attack.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * Returns the training-time augmentation.
     *
     * @return the augmentation
     */
    public Augmentation augmentation() {
        return augmentation;
    }

    /**
     * Returns every setting by name, in a stable order.
     *
     * @return an ordered, modifiable map
     */
    public Map<String, Object> configuration() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("samples", samples);
        map.put("learningRate", learningRate);
        map.put("schedule", "constant");
        map.put("momentum", momentum);
        map.put("epochs", epochs);
        map.put("batchSize", batchSize);
        map.put("seed", seed);
        map.put("augmentation", augmentation.toString());
        return map;
    }

    /**
     * Runs the attack on a copy of the model's state and returns what it measured; the model ends
     * exactly as it was (see the class documentation). All data is read and checked before anything
     * changes.
     *
     * @param model the purified classifier; a DJL-native block or a TorchScript module loaded with
     *     trainable parameters
     * @param tuningData the defender's clean tuning set, images (C, H, W) with integer labels; the
     *     retuning set is this set with {@code samples} images replaced
     * @param triggeredImages the attacker's triggered images, labelled with their true classes,
     *     holding at least {@code samples} images whose true class is not {@code target}
     * @param target the attacker's target class, in {@code [0, classes)}
     * @param cleanTest clean test images, for the accuracy after retuning
     * @param triggeredTest triggered test images labelled with their true classes, with at least
     *     one image whose true class is not {@code target}, for P-ASR
     * @return the measurements and settings
     * @throws IllegalArgumentException if an argument is null, a set is empty or malformed, images
     *     differ in shape from the tuning images or do not fit the model, a label or the target is
     *     outside the model's classes, there are too few images to replace or to measure, or the
     *     model has nothing to train; the model is unchanged
     * @throws IllegalStateException if the retuning loss became NaN or infinite (the learning rate
     *     is too high); the model was restored
     * @throws RuntimeException whatever else failed during the attack (an engine error); the model
     *     was restored
     */
    public RetuningResult evaluate(
            Model model,
            RandomAccessDataset tuningData,
            RandomAccessDataset triggeredImages,
            int target,
            RandomAccessDataset cleanTest,
            RandomAccessDataset triggeredTest) {
        Preconditions.checkArgument(model != null, "model must not be null");
        Preconditions.checkArgument(tuningData != null, "tuningData must not be null");
        Preconditions.checkArgument(triggeredImages != null, "triggeredImages must not be null");
        Preconditions.checkArgument(cleanTest != null, "cleanTest must not be null");
        Preconditions.checkArgument(triggeredTest != null, "triggeredTest must not be null");
        Preconditions.checkArgument(target >= 0, "target must be >= 0 but was %s", target);
        Block block = model.getBlock();
        checkModel(model, block);
        NDManager manager = model.getNDManager();
        ImageSet tuning = read(tuningData, "tuningData", manager);
        ImageSet triggered = read(triggeredImages, "triggeredImages", manager);
        ImageSet clean = read(cleanTest, "cleanTest", manager);
        ImageSet triggeredTestImages = read(triggeredTest, "triggeredTest", manager);
        checkShape(tuning, triggered, "triggeredImages");
        checkShape(tuning, clean, "cleanTest");
        checkShape(tuning, triggeredTestImages, "triggeredTest");
        int classes = probe(block, tuning, manager);
        Preconditions.checkArgument(
                target < classes,
                "target %s is outside the model's %s classes [0, %s)", target, classes, classes);
        checkLabels(tuning, "tuningData", classes);
        checkLabels(triggered, "triggeredImages", classes);
        checkLabels(clean, "cleanTest", classes);
        checkLabels(triggeredTestImages, "triggeredTest", classes);
        Preconditions.checkArgument(
                samples <= tuning.size(),
                "samples (%s) must not exceed the %s images of tuningData", samples, tuning.size());
        Preconditions.checkArgument(
                RetuningSet.nonTarget(triggeredTestImages, target, 1).length == 1,
                "triggeredTest holds no image whose true class is not the target %s, so P-ASR"
                        + " would measure nothing", target);
        List<Parameter> trainable = trainableParameters(block);

        Random random = new Random(seed);
        RetuningSet retuning = RetuningSet.build(tuning, triggered, samples, target, random, manager);
        synchronized (LOCK) {
            return attack(
                    model, block, trainable, retuning, classes, random, target, clean, triggeredTestImages);
        }
    }

    private RetuningResult attack(
            Model model,
            Block block,
            List<Parameter> trainable,
            RetuningSet retuning,
            int classes,
            Random random,
            int target,
            ImageSet clean,
            ImageSet triggeredTest) {
        Map<NDArray, Boolean> gradientFlags = new IdentityHashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            NDArray array = pair.getValue().getArray();
            gradientFlags.put(array, array.hasGradient());
        }
        ModelSnapshot snapshot = ModelSnapshot.take(model);
        NDManager runManager = model.getNDManager().newSubManager();
        Throwable failure = null;
        try {
            List<Double> losses = retune(block, trainable, retuning.images(), classes, random, runManager);
            Rate pAsr = Evaluator.attackSuccessRate(model, triggeredTest, target, Evaluator.DEFAULT_BATCH_SIZE);
            Rate accuracy = Evaluator.accuracy(model, clean, Evaluator.DEFAULT_BATCH_SIZE);
            logger.info("retuning attack with {} poisoned samples: P-ASR {}, clean accuracy {}",
                    samples, pAsr, accuracy);
            Map<String, Object> settings = configuration();
            settings.put("tuningImages", retuning.images().size());
            List<Integer> positions = new ArrayList<>();
            for (int index : retuning.replaced()) {
                positions.add(index);
            }
            return new RetuningResult(pAsr, accuracy, target, positions, losses, settings);
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            restore(snapshot, runManager, gradientFlags, failure);
        }
    }

    /** Puts the model back; a failure here is added to the one in flight, or thrown. */
    private static void restore(
            ModelSnapshot snapshot, NDManager runManager, Map<NDArray, Boolean> flags, Throwable failure) {
        try {
            runManager.close();
            for (Map.Entry<NDArray, Boolean> entry : flags.entrySet()) {
                if (entry.getKey().hasGradient() != entry.getValue()) {
                    entry.getKey().setRequiresGradient(entry.getValue());
                }
            }
            snapshot.restore();
        } catch (RuntimeException | Error e) {
            if (failure == null) {
                throw e;
            }
            failure.addSuppressed(e);
        } finally {
            snapshot.close();
        }
    }

    private List<Double> retune(
            Block block,
            List<Parameter> trainable,
            ImageSet retuning,
            int classes,
            Random random,
            NDManager runManager) {
        Engine engine = runManager.getEngine();
        engine.setRandomSeed((int) seed);
        for (Parameter parameter : trainable) {
            NDArray array = parameter.getArray();
            if (!array.hasGradient()) {
                array.setRequiresGradient(true);
            }
            TorchSgd.clearGradient(array);
        }
        TorchSgd sgd = new TorchSgd(momentum, 0, runManager);
        ParameterStore store = new ParameterStore(runManager, false);
        BatchStaging staging = new BatchStaging(false);
        int[] order = retuning.indexOrder();
        int batches = (order.length + batchSize - 1) / batchSize;
        List<Double> losses = new ArrayList<>();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            RetuningSet.shuffle(order, random);
            double sum = 0;
            for (int batch = 1; batch <= batches; batch++) {
                int from = (batch - 1) * batchSize;
                int to = Math.min(order.length, from + batchSize);
                try (NDManager scope = runManager.newSubManager()) {
                    NDList xy = retuning.batch(scope, order, from, to, augmentation, random, staging);
                    NDArray loss;
                    try (GradientCollector collector = engine.newGradientCollector()) {
                        NDArray logits = block.forward(store, new NDList(xy.get(0)), true).singletonOrThrow();
                        loss = crossEntropy(logits, xy.get(1), classes);
                        collector.backward(loss);
                    }
                    double value = loss.getFloat();
                    if (!Double.isFinite(value)) {
                        throw new IllegalStateException(
                                "the retuning loss is " + value + " in epoch " + epoch + ", batch " + batch
                                        + "; lower the learningRate (" + learningRate + ")");
                    }
                    sgd.step(trainable, learningRate);
                    sum += value;
                }
            }
            losses.add(sum / batches);
        }
        return losses;
    }

    /** Mean softmax cross-entropy, as PyTorch's {@code F.cross_entropy}. */
    private static NDArray crossEntropy(NDArray logits, NDArray labels, int classes) {
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot(classes).toType(logProbabilities.getDataType(), false);
        return logProbabilities.mul(oneHot).sum().neg().div(logits.getShape().get(0));
    }

    private static void checkModel(Model model, Block block) {
        Preconditions.checkArgument(block != null, "the model has no block");
        String engine = model.getNDManager().getEngine().getEngineName();
        Preconditions.checkArgument(
                "PyTorch".equals(engine), "the model runs on the %s engine; only PyTorch is supported", engine);
        Preconditions.checkArgument(
                block instanceof SymbolBlock || block.isInitialized(),
                "the model's block is not initialized: call block.initialize(...) or load its parameters");
    }

    private static List<Parameter> trainableParameters(Block block) {
        List<Parameter> trainable = new ArrayList<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            if (pair.getValue().requiresGradient()) {
                trainable.add(pair.getValue());
            }
        }
        Preconditions.checkArgument(
                !trainable.isEmpty(),
                block instanceof SymbolBlock
                        ? "the TorchScript model's parameters are inference-only and cannot be retuned:"
                                + " load it with model.load(dir, name, Map.of(\"trainParam\", \"true\"))"
                        : "no parameter of the model is trainable, so there is nothing to retune");
        return trainable;
    }

    private static ImageSet read(RandomAccessDataset data, String name, NDManager manager) {
        try {
            return ImageSet.read(data, manager);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    private static void checkShape(ImageSet tuning, ImageSet other, String name) {
        Preconditions.checkArgument(
                tuning.imageShape().equals(other.imageShape()),
                "images of %s have shape %s but the tuning images have shape %s",
                name, other.imageShape(), tuning.imageShape());
    }

    private static void checkLabels(ImageSet images, String name, int classes) {
        int bad = images.firstLabelOutside(classes);
        Preconditions.checkArgument(
                bad < 0,
                "label %s of image %s of %s is outside the model's %s classes [0, %s)",
                bad < 0 ? 0 : images.label(bad), bad, name, classes, classes);
    }

    /** One inference-mode pass on the first images; returns the number of classes. */
    private static int probe(Block block, ImageSet images, NDManager manager) {
        int count = Math.min(PROBE_IMAGES, images.size());
        try (NDManager scope = manager.newSubManager()) {
            NDList xy = images.batch(scope, images.indexOrder(), 0, count, Augmentation.none(), new Random(0));
            Shape logits;
            try {
                logits = block.forward(new ParameterStore(scope, false), new NDList(xy.get(0)), false)
                        .singletonOrThrow()
                        .getShape();
            } catch (RuntimeException e) {
                String message = String.valueOf(e.getMessage());
                int newline = message.indexOf('\n');
                throw new IllegalArgumentException(
                        "images of shape " + images.imageShape() + " do not fit the model: "
                                + (newline < 0 ? message : message.substring(0, newline)),
                        e);
            }
            Preconditions.checkArgument(
                    logits.dimension() == 2 && logits.get(0) == count,
                    "the model must return logits of shape (batch, classes) but returned %s for %s images",
                    logits, count);
            return Math.toIntExact(logits.get(1));
        }
    }

    @Override
    public String toString() {
        return "RetuningAttack" + configuration();
    }

    /**
     * Builds a {@link RetuningAttack}. Every option may be set once and is validated at once:
     * {@code IllegalArgumentException} names the option, the valid range and the value, {@code
     * IllegalStateException} a second call. Unset options keep the defaults of the class
     * documentation.
     */
    public static final class Builder {
        private Integer samples;
        private Double learningRate;
        private Double momentum;
        private Integer epochs;
        private Integer batchSize;
        private Long seed;
        private Augmentation augmentation;

        private Builder() {}

        private static void requireUnset(Object current, String option) {
            if (current != null) {
                throw new IllegalStateException(option + " was already set to " + current);
            }
        }

        /**
         * Sets how many tuning images are replaced by triggered images relabelled to the target.
         * Default 5. It must not exceed the tuning set's size, which {@link #evaluate} checks.
         *
         * @param samples {@code >= 0}; 0 retunes on the clean tuning set alone
         * @return this builder
         * @throws IllegalArgumentException if negative
         * @throws IllegalStateException if already set
         */
        public Builder samples(int samples) {
            requireUnset(this.samples, "samples");
            Preconditions.checkArgument(samples >= 0, "samples must be >= 0 but was %s", samples);
            this.samples = samples;
            return this;
        }

        /**
         * Sets the learning rate, held constant for the whole attack. Default 0.01.
         *
         * @param learningRate finite, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if not a finite positive number
         * @throws IllegalStateException if already set
         */
        public Builder learningRate(double learningRate) {
            requireUnset(this.learningRate, "learningRate");
            Preconditions.checkArgument(
                    Double.isFinite(learningRate) && learningRate > 0,
                    "learningRate must be a finite number > 0 but was %s", learningRate);
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets the SGD momentum (PyTorch semantics). Default 0.9.
         *
         * @param momentum in {@code [0, 1)}
         * @return this builder
         * @throws IllegalArgumentException if outside {@code [0, 1)}
         * @throws IllegalStateException if already set
         */
        public Builder momentum(double momentum) {
            requireUnset(this.momentum, "momentum");
            Preconditions.checkArgument(
                    momentum >= 0 && momentum < 1, "momentum must be in [0, 1) but was %s", momentum);
            this.momentum = momentum;
            return this;
        }

        /**
         * Sets the number of passes over the retuning set. Default 5.
         *
         * @param epochs {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         * @throws IllegalStateException if already set
         */
        public Builder epochs(int epochs) {
            requireUnset(this.epochs, "epochs");
            Preconditions.checkArgument(epochs >= 1, "epochs must be >= 1 but was %s", epochs);
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the mini-batch size. Default 128.
         *
         * @param batchSize {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         * @throws IllegalStateException if already set
         */
        public Builder batchSize(int batchSize) {
            requireUnset(this.batchSize, "batchSize");
            Preconditions.checkArgument(batchSize >= 1, "batchSize must be >= 1 but was %s", batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the seed of every random choice: the replaced positions, the shuffling, the
         * augmentation and the engine's random state. Default 0. The same seed on the CPU gives the
         * same result.
         *
         * @param seed any value
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder seed(long seed) {
            requireUnset(this.seed, "seed");
            this.seed = seed;
            return this;
        }

        /**
         * Sets the augmentation of the retuning images. Default {@link Augmentation#none()}.
         *
         * @param augmentation the augmentation
         * @return this builder
         * @throws NullPointerException if null
         * @throws IllegalStateException if already set
         */
        public Builder augmentation(Augmentation augmentation) {
            requireUnset(this.augmentation, "augmentation");
            this.augmentation = Objects.requireNonNull(augmentation, "augmentation must not be null");
            return this;
        }

        /**
         * Builds the immutable attack.
         *
         * @return the attack
         */
        public RetuningAttack build() {
            return new RetuningAttack(this);
        }
    }
}
