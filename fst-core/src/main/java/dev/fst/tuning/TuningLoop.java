package dev.fst.tuning;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.util.Pair;
import com.google.common.base.Stopwatch;
import com.google.common.collect.ImmutableList;
import com.google.common.primitives.Ints;
import dev.fst.data.Augmentation;
import dev.fst.eval.Rate;
import dev.fst.internal.Environment;
import dev.fst.internal.Messages;
import dev.fst.head.ClassifierHead;
import dev.fst.internal.BatchStaging;
import dev.fst.internal.ImageSet;
import dev.fst.internal.ModelSnapshot;
import dev.fst.optim.TorchSgd;
import dev.fst.optim.TuningOptimizer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tuning loop shared by every method: validation, snapshot, mini-batch steps with a method's
 * hooks and the configured strategies, restore on failure. Not API: purifiers reach it through
 * {@link AbstractPurifier}, training through {@link ModelTraining}.
 *
 * <p>Per epoch {@code e} of {@code E}: the rate comes from the configured schedule; the tuning
 * images are shuffled with the run's seeded random source and augmented; for each mini-batch the
 * method computes the gradients (by default: the model in training mode, so BatchNorm uses and
 * updates batch statistics, and the configured loss), the configured optimizer applies them, and
 * the method's {@code afterStep} runs. Every array of a mini-batch lives in its own {@link
 * NDManager}, closed after the step, so native memory stays flat across epochs. The call order is
 * the contract documented on {@link TuningMethod} and {@link TuningListener}.
 *
 * <p>Runs are serialised JVM-wide: DJL's PyTorch engine records gradients for one thread at a time.
 */
final class TuningLoop {

    private static final Logger logger = LoggerFactory.getLogger(TuningLoop.class);
    private static final Object LOCK = new Object();
    private static final int PROBE_IMAGES = 2;

    private TuningLoop() {}

    /** What a successful run did, before it becomes a purification or a training result. */
    record Outcome(
            ClassifierHead head,
            List<EpochRecord> history,
            TuningData data,
            Map<String, String> environment,
            Instant startedAt,
            Duration wallTime,
            Map<String, Object> details,
            AccuracyCheck check) {}

    /**
     * Runs one purification.
     *
     * @param configuration the run's settings, recorded in the result
     * @param model the model to tune in place
     * @param data the clean tuning images
     * @param hooks what the method adds to the loop; a new instance per run
     * @return the result
     * @throws IllegalArgumentException if the model or data cannot be tuned; nothing changed
     * @throws PurificationException if tuning failed; the model was restored
     */
    static PurificationResult purify(
            RunConfiguration configuration, Model model, RandomAccessDataset data, TuningMethod hooks) {
        Outcome outcome = run(configuration.method(), configuration.shared(), model, data, hooks);
        if (!outcome.check().withinBudget()) {
            logger.warn("{} lost more held-out accuracy than the budget allows: {}",
                    configuration.method(), outcome.check());
        }
        return new PurificationResult(configuration, model, outcome);
    }

    /**
     * Runs the loop with the given hooks and returns what it did.
     *
     * @throws IllegalArgumentException if the model or data cannot be tuned; nothing changed
     * @throws PurificationException if tuning failed; the model was restored
     */
    static Outcome run(
            String method, TuningConfig config, Model model, RandomAccessDataset data, TuningMethod hooks) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
        synchronized (LOCK) {
            return new TuningLoop.Run(method, model, data, config, hooks).execute();
        }
    }

    private static final class Run implements TuningView {
        private final String method;
        private final Model model;
        private final RandomAccessDataset data;
        private final TuningConfig config;
        private final TuningMethod hooks;
        private final List<TuningListener> listeners;
        private ClassifierHead head;
        private TuningData tuningData;
        private List<Parameter> trainable = List.of();
        private final List<EpochRecord> history = new ArrayList<>();
        private int epoch;
        private int batch;
        private int batches;
        private double batchLoss = Double.NaN;
        private double learningRate;
        private AccuracyCheck check;
        private final Map<String, Object> details = new LinkedHashMap<>();

        Run(String method, Model model, RandomAccessDataset data, TuningConfig config, TuningMethod hooks) {
            this.method = method;
            this.model = model;
            this.data = data;
            this.config = config;
            this.hooks = hooks;
            List<TuningListener> all = new ArrayList<>();
            all.add(new DivergenceCheck());
            all.addAll(config.listeners());
            this.listeners = all;
        }

        Outcome execute() {
            Instant startedAt = Instant.now();
            Stopwatch wall = Stopwatch.createStarted();
            Block block = model.getBlock();
            checkModel(block);
            NDManager modelManager = model.getNDManager();
            ImageSet images = ImageSet.read(data, modelManager);
            head = config.head().select(block);
            checkLabels(images, head);
            tuningData = new TuningData(images.size(), images.imageShape().toString(),
                    Ints.asList(images.classHistogram(head.numClasses())), images.contentHash());
            List<Parameter> parameters = trainableParameters(block);
            Device device = checkDevice(parameters);
            probe(block, images, head);
            hooks.validate(block, head);
            boolean needsHeldOut = hooks.needsHeldOut();
            int[][] split = splitHeldOut(images);
            if (split[1].length == 0 && needsHeldOut) {
                throw new IllegalArgumentException(
                        method + " chooses its settings on the held-out share of the tuning images, but"
                                + " none is held out (heldOutFraction " + config.heldOutFraction()
                                + " of " + images.size() + " images); set heldOutFraction above 0");
            }

            Map<NDArray, Boolean> gradientFlags = new IdentityHashMap<>();
            for (Pair<String, Parameter> pair : block.getParameters()) {
                NDArray array = pair.getValue().getArray();
                gradientFlags.put(array, array.hasGradient());
            }
            ModelSnapshot snapshot = ModelSnapshot.take(model);
            NDManager runManager = modelManager.newSubManager();
            try {
                tune(images, split, parameters, runManager, gradientFlags.keySet());
                restoreGradientFlags(gradientFlags);
                Outcome outcome = new Outcome(head, ImmutableList.copyOf(history), tuningData,
                        environment(device), startedAt,
                        Duration.ofNanos(wall.elapsed(TimeUnit.NANOSECONDS)), details, check);
                for (TuningListener listener : listeners) {
                    listener.onTuningEnd(this);
                }
                return outcome;
            } catch (RuntimeException | Error e) {
                restoreGradientFlags(gradientFlags);
                snapshot.restore();
                throw failure(e);
            } finally {
                runManager.close();
                snapshot.close();
            }
        }

        private void tune(
                ImageSet images,
                int[][] split,
                List<Parameter> parameters,
                NDManager runManager,
                Set<NDArray> allArrays) {
            Engine engine = model.getNDManager().getEngine();
            engine.setRandomSeed((int) config.seed());
            Random random = new Random(config.seed());
            TuningContext context =
                    new TuningContext(model, head, parameters, runManager, random, config);
            int[] order = split[0];
            context.setTrainingData(images, order);
            Rate heldOutBefore = new Rate(0, 0);
            if (split[1].length > 0) {
                context.setHeldOut(images, split[1]);
                heldOutBefore = context.heldOutAccuracy();
            }
            context.bindStrategies();
            hooks.prepare(context);
            trainable = ImmutableList.copyOf(hooks.trainableParameters(context));
            Set<NDArray> trainableArrays = Collections.newSetFromMap(new IdentityHashMap<>());
            trainable.forEach(p -> trainableArrays.add(p.getArray()));
            for (NDArray array : allArrays) {
                boolean train = trainableArrays.contains(array);
                if (array.hasGradient() != train) {
                    array.setRequiresGradient(train);
                }
                if (train) {
                    TorchSgd.clearGradient(array);
                }
            }
            TuningOptimizer optimizer = context.optimizer();
            int n = order.length;
            batches = (n + config.batchSize() - 1) / config.batchSize();
            for (TuningListener listener : listeners) {
                listener.onTuningStart(this);
            }
            for (epoch = 1; epoch <= config.epochs(); epoch++) {
                context.setEpoch(epoch);
                Stopwatch clock = Stopwatch.createStarted();
                learningRate = config.schedule().rate(config.learningRate(), epoch, config.epochs());
                context.setLearningRate(learningRate);
                shuffle(order, random);
                hooks.startEpoch(context);
                double lossSum = 0;
                long correct = 0;
                for (batch = 1; batch <= batches; batch++) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new CancellationSignal();
                    }
                    int from = (batch - 1) * config.batchSize();
                    int to = Math.min(n, from + config.batchSize());
                    try (NDManager scope = runManager.newSubManager()) {
                        NDList xy = images.batch(
                                scope, order, from, to, config.augmentation(), random, context.staging());
                        MiniBatch miniBatch = new MiniBatch(scope, xy.get(0), xy.get(1), epoch, batch);
                        StepResult step = hooks.gradients(context, miniBatch);
                        batchLoss = step.loss().getFloat();
                        apply(optimizer, step);
                        hooks.afterStep(context);
                        lossSum += batchLoss;
                        correct += countCorrect(step.logits(), xy.get(1));
                        for (TuningListener listener : listeners) {
                            listener.onBatchEnd(this);
                        }
                    }
                }
                batch = 0;
                EpochRecord record =
                        new EpochRecord(
                                epoch,
                                learningRate,
                                lossSum / batches,
                                (double) correct / n,
                                Duration.ofNanos(clock.elapsed(TimeUnit.NANOSECONDS)));
                history.add(record);
                logger.info("{} {}", method, record);
                for (TuningListener listener : listeners) {
                    listener.onEpochEnd(this, record);
                }
            }
            epoch = config.epochs();
            hooks.finish(context);
            DivergenceCheck.checkParameters(context.parameters());
            check = new AccuracyCheck(heldOutBefore,
                    split[1].length > 0 ? context.heldOutAccuracy() : new Rate(0, 0), config.accuracyBudget());
            details.putAll(context.details());
        }

        /** The optimizer's step: the recorded gradients, or the ones the method gave. */
        private void apply(TuningOptimizer optimizer, StepResult step) {
            if (step.gradients() == null) {
                optimizer.step(trainable, learningRate);
                return;
            }
            step.gradients().forEach((parameter, gradient) ->
                    optimizer.update(parameter.getId(), parameter.getArray(), gradient, learningRate));
            for (Parameter parameter : trainable) {
                TorchSgd.clearGradient(parameter.getArray());
            }
        }

        @Override
        public String method() {
            return method;
        }

        @Override
        public TuningConfig config() {
            return config;
        }

        @Override
        public Model model() {
            return model;
        }

        @Override
        public ClassifierHead head() {
            return head;
        }

        @Override
        public List<Parameter> trainableParameters() {
            return trainable;
        }

        @Override
        public TuningData data() {
            return tuningData;
        }

        @Override
        public int epoch() {
            return epoch;
        }

        @Override
        public int epochs() {
            return config.epochs();
        }

        @Override
        public int batch() {
            return batch;
        }

        @Override
        public int batchesPerEpoch() {
            return batches;
        }

        @Override
        public double batchLoss() {
            return batchLoss;
        }

        @Override
        public double learningRate() {
            return learningRate;
        }

        @Override
        public List<EpochRecord> history() {
            return ImmutableList.copyOf(history);
        }

        /**
         * Sets a class-balanced share of the tuning images aside (seeded, independent of the
         * training shuffle): {@code round(heldOutFraction * n_c)} of the {@code n_c} images of
         * each class, keeping at least one image of every class for tuning. Returns the indices
         * left for tuning, sorted, and the held-out ones.
         */
        private int[][] splitHeldOut(ImageSet images) {
            double fraction = config.heldOutFraction();
            if (fraction == 0) {
                return new int[][] {images.indexOrder(), new int[0]};
            }
            java.util.Map<Integer, List<Integer>> byClass = new java.util.TreeMap<>();
            for (int i = 0; i < images.size(); i++) {
                byClass.computeIfAbsent(images.label(i), k -> new ArrayList<>()).add(i);
            }
            Random random = new Random(config.seed() * 31 + 17);
            List<Integer> held = new ArrayList<>();
            List<Integer> kept = new ArrayList<>();
            for (List<Integer> members : byClass.values()) {
                Collections.shuffle(members, random);
                int count = Math.min(members.size() - 1, (int) Math.round(fraction * members.size()));
                held.addAll(members.subList(0, Math.max(0, count)));
                kept.addAll(members.subList(Math.max(0, count), members.size()));
            }
            int[] train = kept.stream().mapToInt(Integer::intValue).sorted().toArray();
            int[] out = held.stream().mapToInt(Integer::intValue).sorted().toArray();
            return new int[][] {train, out};
        }

        private void checkModel(Block block) {
            if (block == null) {
                throw new IllegalArgumentException("the model has no block");
            }
            String engine = model.getNDManager().getEngine().getEngineName();
            if (!"PyTorch".equals(engine)) {
                throw new IllegalArgumentException(
                        "the model runs on the " + engine + " engine; only PyTorch is supported");
            }
            if (!(block instanceof SymbolBlock) && !block.isInitialized()) {
                throw new IllegalArgumentException(
                        "the model's block is not initialized: call block.initialize(...) or load"
                                + " its parameters before purifying");
            }
        }

        private List<Parameter> trainableParameters(Block block) {
            List<Parameter> all = new ArrayList<>();
            List<Parameter> trainable = new ArrayList<>();
            for (Pair<String, Parameter> pair : block.getParameters()) {
                all.add(pair.getValue());
                if (pair.getValue().requiresGradient()) {
                    trainable.add(pair.getValue());
                }
            }
            if (trainable.isEmpty() && block instanceof SymbolBlock) {
                throw new IllegalArgumentException(
                        "the TorchScript model's parameters are inference-only and cannot be"
                                + " tuned: load it with model.load(dir, name, Map.of(\"trainParam\","
                                + " \"true\"))");
            }
            if (trainable.isEmpty()) {
                throw new IllegalArgumentException(
                        "no parameter of the model is trainable: all " + all.size()
                                + " are frozen (unfreeze them with block.freezeParameters(false))");
            }
            return trainable;
        }

        private Device checkDevice(List<Parameter> parameters) {
            Device actual = parameters.get(0).getArray().getDevice();
            Device wanted = config.device();
            if (wanted != null && !wanted.equals(actual)) {
                throw new IllegalArgumentException(
                        "device "
                                + wanted
                                + " was requested but the model's parameters are on "
                                + actual
                                + "; create or load the model on "
                                + wanted);
            }
            if (!actual.equals(model.getNDManager().getDevice())) {
                throw new IllegalArgumentException(
                        "the model's parameters are on "
                                + actual
                                + " but its manager is on "
                                + model.getNDManager().getDevice());
            }
            return actual;
        }

        private void checkLabels(ImageSet images, ClassifierHead head) {
            int bad = images.firstLabelOutside(head.numClasses());
            if (bad >= 0) {
                throw new IllegalArgumentException(
                        "label "
                                + images.label(bad)
                                + " of image "
                                + bad
                                + " is outside the "
                                + head.numClasses()
                                + " classes [0, "
                                + head.numClasses()
                                + ") of the head "
                                + head);
            }
        }

        /** One inference-mode forward pass, to refuse misshapen images before anything changes. */
        private void probe(Block block, ImageSet images, ClassifierHead head) {
            int count = Math.min(PROBE_IMAGES, images.size());
            Shape logits;
            try (NDManager scope = model.getNDManager().newSubManager()) {
                NDList xy =
                        images.batch(
                                scope,
                                images.indexOrder(),
                                0,
                                count,
                                Augmentation.none(),
                                new Random(0),
                                new BatchStaging(config.channelsLast()));
                try {
                    NDList out =
                            block.forward(new ParameterStore(scope, false), new NDList(xy.get(0)), false);
                    logits = out.singletonOrThrow().getShape();
                } catch (RuntimeException e) {
                    String hint =
                            config.channelsLast()
                                    ? " (if the model calls view() on a feature map, tune it with"
                                            + " channelsLast(false))"
                                    : "";
                    throw new IllegalArgumentException(
                            "images of shape "
                                    + images.imageShape()
                                    + " do not fit the model: "
                                    + firstLine(e.getMessage())
                                    + hint,
                            e);
                }
            }
            if (logits.dimension() != 2 || logits.get(0) != count) {
                throw new IllegalArgumentException(
                        "the model must return logits of shape (batch, classes) but returned "
                                + logits
                                + " for a batch of "
                                + count
                                + " images of shape "
                                + images.imageShape());
            }
            if (logits.get(1) != head.numClasses()) {
                throw new IllegalArgumentException(
                        "the head "
                                + head
                                + " has "
                                + head.numClasses()
                                + " outputs but the model returns "
                                + logits.get(1)
                                + " logits; choose the head with head(HeadSelector.named(...))");
            }
        }

        private static String firstLine(String message) {
            return Messages.firstLine(message);
        }

        private RuntimeException failure(Throwable e) {
            String where =
                    epoch == 0
                            ? "before the first epoch"
                            : batch == 0
                                    ? "at the end of epoch " + epoch + " of " + config.epochs()
                                    : "in epoch " + epoch + " of " + config.epochs() + ", batch "
                                            + batch;
            String why;
            Throwable cause = e;
            if (e instanceof DivergenceCheck.Diverged) {
                why = e.getMessage();
                cause = null;
            } else if (e instanceof CancellationSignal) {
                why = "the tuning thread was interrupted";
                cause = new InterruptedException("purification cancelled");
            } else {
                why = e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
            }
            return new PurificationException(
                    method + " failed " + where + ": " + why
                            + "; the model was restored to its original state",
                    epoch,
                    batch,
                    cause);
        }

        private static void restoreGradientFlags(Map<NDArray, Boolean> flags) {
            for (Map.Entry<NDArray, Boolean> entry : flags.entrySet()) {
                if (entry.getKey().hasGradient() != entry.getValue()) {
                    entry.getKey().setRequiresGradient(entry.getValue());
                }
            }
        }

        private Map<String, String> environment(Device device) {
            Map<String, String> env = new LinkedHashMap<>(Environment.capture(model.getNDManager().getEngine()));
            env.put("device", device.toString());
            return env;
        }
    }

    private static long countCorrect(NDArray logits, NDArray labels) {
        return logits.argMax(1).toType(DataType.INT64, false).eq(labels).countNonzero().getLong();
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** The tuning thread was interrupted. */
    private static final class CancellationSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }
}
