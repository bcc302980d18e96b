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
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.util.Pair;
import com.google.common.base.Stopwatch;
import dev.fst.data.Augmentation;
import dev.fst.data.BatchStaging;
import dev.fst.data.ImageSet;
import dev.fst.eval.Rate;
import dev.fst.internal.Environment;
import dev.fst.internal.Messages;
import dev.fst.head.ClassifierHead;
import dev.fst.internal.ModelSnapshot;
import dev.fst.optim.CosineSchedule;
import dev.fst.optim.TorchSgd;
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
 * The tuning loop shared by every method: validation, snapshot, mini-batch SGD with a method's
 * hooks, restore on failure, and the result.
 *
 * <p>Per epoch {@code e} (0-based) of {@code E}: the tuning images are shuffled with the run's
 * seeded random source and augmented; for each mini-batch the model runs in training mode
 * (BatchNorm uses and updates batch statistics), the loss is {@code mean cross-entropy +
 * method.penalty}, gradients are recorded, {@link TorchSgd} (PyTorch momentum semantics) updates
 * the method's trainable parameters at rate {@code lr * (1 + cos(pi * e / E)) / 2}, and the
 * method's {@code afterStep} runs. Every array of a mini-batch lives in its own {@link NDManager},
 * closed after the step, so native memory stays flat across epochs.
 *
 * <p>Runs are serialised JVM-wide: DJL's PyTorch engine records gradients for one thread at a time.
 */
public final class TuningLoop {

    private static final Logger logger = LoggerFactory.getLogger(TuningLoop.class);
    private static final Object LOCK = new Object();
    private static final int PROBE_IMAGES = 2;

    private TuningLoop() {}

    /**
     * Runs one purification.
     *
     * @param method the method's name, for messages and the result
     * @param configuration every setting of the purifier, recorded in the result
     * @param model the model to tune in place
     * @param data the clean tuning images
     * @param config the shared options
     * @param hooks what the method adds to the loop; a new instance per run
     * @return the result
     * @throws IllegalArgumentException if the model or data cannot be tuned; nothing changed
     * @throws PurificationException if tuning failed; the model was restored
     */
    public static PurificationResult run(
            String method,
            Map<String, Object> configuration,
            Model model,
            RandomAccessDataset data,
            TuningConfig config,
            TuningMethod hooks) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
        synchronized (LOCK) {
            return new TuningLoop.Run(method, configuration, model, data, config, hooks).execute();
        }
    }

    private static final class Run {
        private final String method;
        private final Map<String, Object> configuration;
        private final Model model;
        private final RandomAccessDataset data;
        private final TuningConfig config;
        private final TuningMethod hooks;
        private int epoch;
        private int batch;
        private AccuracyCheck check;
        private final Map<String, Object> details = new LinkedHashMap<>();

        Run(
                String method,
                Map<String, Object> configuration,
                Model model,
                RandomAccessDataset data,
                TuningConfig config,
                TuningMethod hooks) {
            this.method = method;
            this.configuration = configuration;
            this.model = model;
            this.data = data;
            this.config = config;
            this.hooks = hooks;
        }

        PurificationResult execute() {
            Instant startedAt = Instant.now();
            Stopwatch wall = Stopwatch.createStarted();
            Block block = model.getBlock();
            checkModel(block);
            NDManager modelManager = model.getNDManager();
            ImageSet images = ImageSet.read(data, modelManager);
            ClassifierHead head = config.head().select(block);
            checkLabels(images, head);
            List<Parameter> parameters = trainableParameters(block);
            Device device = checkDevice(parameters);
            probe(block, images, head);
            hooks.validate(block, head);
            int[][] split = splitHeldOut(images);
            if (split[1].length == 0 && hooks.needsHeldOut()) {
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
            boolean allocatorTuned = config.allocatorTuning() && NativeAllocator.keepFreedMemory();
            NDManager runManager = modelManager.newSubManager();
            try {
                List<EpochRecord> history =
                        tune(images, split, head, parameters, runManager, gradientFlags.keySet());
                restoreGradientFlags(gradientFlags);
                if (!check.withinBudget()) {
                    logger.warn("{} lost more held-out accuracy than the budget allows: {}", method, check);
                }
                PurificationResult result =
                        new PurificationResult(
                                method,
                                model,
                                head,
                                configuration,
                                history,
                                images.size(),
                                images.imageShape().toString(),
                                environment(device, allocatorTuned),
                                startedAt,
                                Duration.ofNanos(wall.elapsed(TimeUnit.NANOSECONDS)),
                                details,
                                check);
                for (TuningListener listener : config.listeners()) {
                    listener.onTuningEnd(result);
                }
                return result;
            } catch (RuntimeException | Error e) {
                restoreGradientFlags(gradientFlags);
                snapshot.restore();
                throw failure(e);
            } finally {
                runManager.close();
                snapshot.close();
                if (allocatorTuned) {
                    NativeAllocator.releaseFreedMemory();
                }
            }
        }

        private List<EpochRecord> tune(
                ImageSet images,
                int[][] split,
                ClassifierHead head,
                List<Parameter> parameters,
                NDManager runManager,
                Set<NDArray> allArrays) {
            Engine engine = model.getNDManager().getEngine();
            engine.setRandomSeed((int) config.seed());
            Random random = new Random(config.seed());
            TuningContext context =
                    new TuningContext(model, head, parameters, runManager, random, config);
            context.setOptimizer(new TorchSgd(config.momentum(), config.weightDecay(), runManager));
            int[] order = split[0];
            context.setTrainingData(images, order);
            Rate heldOutBefore = new Rate(0, 0);
            if (split[1].length > 0) {
                context.setHeldOut(images, split[1]);
                heldOutBefore = context.heldOutAccuracy();
            }
            hooks.prepare(context);
            List<Parameter> trainable = hooks.trainableParameters(context);
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
            CosineSchedule schedule = new CosineSchedule(config.learningRate(), config.epochs());
            int n = order.length;
            int batches = (n + config.batchSize() - 1) / config.batchSize();
            for (TuningListener listener : config.listeners()) {
                listener.onTuningStart(method, config.epochs(), batches);
            }
            List<EpochRecord> history = new ArrayList<>();
            for (epoch = 1; epoch <= config.epochs(); epoch++) {
                context.setEpoch(epoch);
                Stopwatch clock = Stopwatch.createStarted();
                double lr = hooks.learningRate(context, schedule.rate(epoch - 1));
                shuffle(order, random);
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
                        StepLoss step = hooks.gradients(context, miniBatch);
                        double value = step.loss().getFloat();
                        if (!Double.isFinite(value)) {
                            throw new NonFiniteLoss(value);
                        }
                        hooks.update(context, trainable, lr);
                        hooks.afterStep(context);
                        lossSum += value;
                        correct += countCorrect(step.logits(), xy.get(1));
                        for (TuningListener listener : config.listeners()) {
                            listener.onBatchEnd(epoch, batch, value);
                        }
                    }
                }
                batch = 0;
                checkFinite(trainable);
                EpochRecord record =
                        new EpochRecord(
                                epoch,
                                lr,
                                lossSum / batches,
                                (double) correct / n,
                                Duration.ofNanos(clock.elapsed(TimeUnit.NANOSECONDS)));
                history.add(record);
                logger.info("{} {}", method, record);
                for (TuningListener listener : config.listeners()) {
                    listener.onEpochEnd(record);
                }
            }
            epoch = config.epochs();
            hooks.finish(context);
            checkFinite(context.parameters());
            check = new AccuracyCheck(heldOutBefore,
                    split[1].length > 0 ? context.heldOutAccuracy() : new Rate(0, 0), config.accuracyBudget());
            details.putAll(context.details());
            return history;
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
            if (e instanceof NonFiniteLoss) {
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

        private Map<String, String> environment(Device device, boolean allocatorTuned) {
            Map<String, String> env = new LinkedHashMap<>(Environment.capture(model.getNDManager().getEngine()));
            env.put("device", device.toString());
            env.put("allocatorTuned", Boolean.toString(allocatorTuned));
            return env;
        }
    }

    /** Mean softmax cross-entropy over the batch, as PyTorch's {@code F.cross_entropy}. */
    static NDArray crossEntropy(NDArray logits, NDArray labels, int classes) {
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot(classes).toType(logProbabilities.getDataType(), false);
        return logProbabilities.mul(oneHot).sum().neg().div(logits.getShape().get(0));
    }

    private static long countCorrect(NDArray logits, NDArray labels) {
        return logits.argMax(1).toType(DataType.INT64, false).eq(labels).countNonzero().getLong();
    }

    private static void checkFinite(List<Parameter> parameters) {
        for (Parameter parameter : parameters) {
            try (NDArray sum = parameter.getArray().sum()) {
                if (!Float.isFinite(sum.getFloat())) {
                    throw new IllegalStateException(
                            "parameter " + parameter.getName() + " holds NaN or infinite values");
                }
            }
        }
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** The loss of a batch was NaN or infinite. */
    private static final class NonFiniteLoss extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NonFiniteLoss(double value) {
            super("the loss is " + value);
        }
    }

    /** The tuning thread was interrupted. */
    private static final class CancellationSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }
}
