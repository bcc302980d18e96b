package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.common.collect.ImmutableList;
import dev.fst.data.Augmentation;
import dev.fst.eval.Rate;
import dev.fst.head.ClassifierHead;
import dev.fst.internal.BatchStaging;
import dev.fst.internal.ImageSet;
import dev.fst.internal.ReleasingForward;
import dev.fst.optim.TuningLoss;
import dev.fst.optim.TuningOptimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One tuning run as a {@link TuningMethod} sees it: the model, its head, its trainable parameters,
 * a manager for arrays that live as long as the run, the run's seeded random source, and the
 * run's strategies (loss, optimizer, the current epoch's learning rate).
 */
public final class TuningContext {

    private final Model model;
    private final ClassifierHead head;
    private final ImmutableList<Parameter> parameters;
    private final NDManager manager;
    private final Random random;
    private final TuningConfig config;
    private final ParameterStore store;
    private final BatchStaging staging;
    private final Map<String, Object> details = new LinkedHashMap<>();
    private TuningOptimizer optimizer;
    private TuningLoss loss;
    private double learningRate;
    private ImageSet heldOut;
    private ImageSet training;
    private int[] trainingOrder = new int[0];
    private int[] heldOutIndices = new int[0];
    private int epoch;

    TuningContext(
            Model model,
            ClassifierHead head,
            List<Parameter> parameters,
            NDManager manager,
            Random random,
            TuningConfig config) {
        this.model = model;
        this.head = head;
        this.parameters = ImmutableList.copyOf(parameters);
        this.manager = manager;
        this.random = random;
        this.config = config;
        this.store = new ParameterStore(manager, false);
        this.staging = new BatchStaging(config.channelsLast());
    }

    /** The run's reusable batch memory (one per run: the loop is single-threaded). */
    BatchStaging staging() {
        return staging;
    }

    /**
     * Returns the model being tuned.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * Returns the model's root block.
     *
     * @return the block
     */
    public Block block() {
        return model.getBlock();
    }

    /**
     * Returns the classifier head chosen for this run.
     *
     * @return the head
     */
    public ClassifierHead head() {
        return head;
    }

    /**
     * Returns every parameter the model marks as trainable (BatchNorm running statistics are not
     * among them), in the model's order.
     *
     * @return an immutable list
     */
    public List<Parameter> parameters() {
        return parameters;
    }

    /**
     * Returns a manager for arrays that must outlive a mini-batch (original weights, optimizer
     * state); it is closed when the run ends.
     *
     * @return the run's manager, on the model's device
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Returns the run's seeded random source.
     *
     * @return the random source
     */
    public Random random() {
        return random;
    }

    /**
     * Returns the run's shared options.
     *
     * @return the options
     */
    public TuningConfig config() {
        return config;
    }

    /**
     * Returns the current epoch.
     *
     * @return the 1-based epoch, or 0 before the first one
     */
    public int epoch() {
        return epoch;
    }

    void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    void bindStrategies() {
        this.loss = config.loss().forRun(this);
        this.optimizer = config.optimizer().create(config, manager);
    }

    void setLearningRate(double learningRate) {
        this.learningRate = learningRate;
    }

    /**
     * Returns the learning rate of the current epoch, from the configured schedule.
     *
     * @return the rate; 0 before the first epoch
     */
    public double learningRate() {
        return learningRate;
    }

    void setTrainingData(ImageSet images, int[] order) {
        this.training = images;
        this.trainingOrder = order;
    }

    /**
     * Runs {@code action} on every training image once, in mini-batches of the configured size, in
     * the order of the current epoch, with the configured augmentation (each batch in its own
     * manager, closed after the action). For methods that need a pass of their own over the data,
     * such as I-BAU's perturbation search at the start of each round.
     *
     * @param action what to do with each batch
     */
    public void forEachTrainingBatch(java.util.function.Consumer<MiniBatch> action) {
        int batchSize = config.batchSize();
        int[] order = trainingOrder.clone();
        for (int from = 0, index = 1; from < order.length; from += batchSize, index++) {
            int to = Math.min(order.length, from + batchSize);
            try (NDManager scope = manager.newSubManager()) {
                NDList xy = training.batch(
                        scope, order, from, to, config.augmentation(), random, staging);
                action.accept(new MiniBatch(scope, xy.get(0), xy.get(1), epoch, index));
            }
        }
    }

    /**
     * Returns the number of images the loop trains on (the tuning set minus any held-out share).
     *
     * @return {@code >= 1}
     */
    public int trainingSize() {
        return trainingOrder.length;
    }

    void setHeldOut(ImageSet images, int[] indices) {
        this.heldOut = images;
        this.heldOutIndices = indices.clone();
    }

    Map<String, Object> details() {
        return details;
    }

    /**
     * Runs the model on a batch of images.
     *
     * <p>Inference mode ({@code training = false}) switches BatchNorm to its running statistics and
     * dropout off, for TorchScript modules as for DJL-native blocks, and nothing else: inside a
     * gradient recording the pass is recorded and can be differentiated (I-BAU relies on this).
     * DJL's own inference forward of a TorchScript module disables autograd instead; see {@link
     * dev.fst.internal.EngineAdapter#inferenceForward}.
     *
     * <p>Each layer's output is released as soon as the next layer of its {@code SequentialBlock}
     * has consumed it, and whatever else the pass created when it ends; only the logits, in the
     * manager of {@code images}, remain. Autograd keeps what the backward pass needs on its own, so
     * the rest is freed at once, as PyTorch frees a layer's output when nothing refers to it any
     * more, instead of at the end of the step. This lowers the peak memory of a step (measured in
     * {@code docs/performance.md}).
     *
     * @param images shape (batch, C, H, W)
     * @param training {@code true} for training mode (BatchNorm uses and updates batch statistics,
     *     dropout is active), {@code false} for inference mode
     * @return the logits, shape (batch, classes)
     */
    public NDArray forward(NDArray images, boolean training) {
        return ReleasingForward.run(block(), store, new NDList(images), training).singletonOrThrow();
    }

    /**
     * Returns the mean softmax cross-entropy, as PyTorch's {@code F.cross_entropy}.
     *
     * @param logits shape (batch, classes)
     * @param labels shape (batch), integer classes
     * @return a scalar
     */
    public NDArray crossEntropy(NDArray logits, NDArray labels) {
        return TuningLoss.crossEntropy(logits, labels);
    }

    /**
     * Returns the run's loss ({@link TuningConfig#loss()}, bound to this run) of a mini-batch:
     * cross-entropy by default, with FST's penalty for FST.
     *
     * @param logits shape (batch, classes)
     * @param labels shape (batch), integer classes
     * @param batch the mini-batch's manager
     * @return a scalar
     */
    public NDArray loss(NDArray logits, NDArray labels, NDManager batch) {
        return loss.evaluate(logits, labels, batch);
    }

    /**
     * Opens a gradient recording. DJL's PyTorch engine allows one at a time per JVM: close it
     * before opening the next.
     *
     * @return a new collector
     */
    public GradientCollector newGradientCollector() {
        return model.getNDManager().getEngine().newGradientCollector();
    }

    /**
     * Returns the run's optimizer, made by {@link TuningConfig#optimizer()} (by default
     * PyTorch-semantics SGD with the configured momentum and weight decay). The loop steps it
     * after every {@link TuningMethod#gradients}; methods do not call it themselves.
     *
     * @return the optimizer
     */
    TuningOptimizer optimizer() {
        return optimizer;
    }

    /**
     * Returns the model's current accuracy, in inference mode, on the tuning images the loop set
     * aside for this method (see {@link TuningConfig#heldOutFraction()}); they are never trained on.
     *
     * @return the accuracy
     * @throws IllegalStateException if the method set no images aside
     */
    public Rate heldOutAccuracy() {
        if (heldOutIndices.length == 0) {
            throw new IllegalStateException("this method set no tuning images aside");
        }
        int batchSize = config.batchSize();
        long correct = 0;
        for (int from = 0; from < heldOutIndices.length; from += batchSize) {
            int to = Math.min(heldOutIndices.length, from + batchSize);
            try (NDManager scope = manager.newSubManager()) {
                NDList xy = heldOut.batch(
                        scope, heldOutIndices, from, to, Augmentation.none(), random, staging);
                NDArray predicted = forward(xy.get(0), false).argMax(1);
                correct += predicted.toType(xy.get(1).getDataType(), false).eq(xy.get(1))
                        .countNonzero().getLong();
            }
        }
        return new Rate(correct, heldOutIndices.length);
    }

    /**
     * Returns the number of images set aside for {@link #heldOutAccuracy()}.
     *
     * @return 0 unless the method asked for a held-out share
     */
    public int heldOutSize() {
        return heldOutIndices.length;
    }

    /**
     * Records something the method decided, reported in {@link PurificationResult#details()}.
     *
     * @param name the name
     * @param value the value, shown with {@code toString}
     */
    public void putDetail(String name, Object value) {
        details.put(name, value);
    }
}
