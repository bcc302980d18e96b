package dev.fst.tuning;

import ai.djl.Device;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.fst.data.Augmentation;
import dev.fst.head.HeadSelector;
import dev.fst.optim.LearningRateSchedule;
import dev.fst.optim.TuningLoss;
import dev.fst.optim.TuningOptimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The options every tuner shares, validated and immutable. Defaults are the FST paper's CIFAR-10
 * settings ({@link #paperDefaults()}):
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>valid range</th></tr>
 *   <tr><td>epochs</td><td>10</td><td>&ge; 1</td></tr>
 *   <tr><td>learningRate</td><td>0.01 (cosine-annealed per epoch to 0)</td><td>&gt; 0, finite</td></tr>
 *   <tr><td>momentum</td><td>0.9 (PyTorch semantics)</td><td>[0, 1)</td></tr>
 *   <tr><td>weightDecay</td><td>0</td><td>&ge; 0, finite</td></tr>
 *   <tr><td>batchSize</td><td>128</td><td>&ge; 1</td></tr>
 *   <tr><td>head</td><td>{@link HeadSelector#auto()}</td><td>any selector</td></tr>
 *   <tr><td>device</td><td>the device of the model's parameters (DJL places a new model on
 *       the GPU when one is present, else the CPU)</td><td>must equal the parameters' device</td></tr>
 *   <tr><td>seed</td><td>0</td><td>any long</td></tr>
 *   <tr><td>augmentation</td><td>{@link Augmentation#cropAndFlip()}</td><td>any</td></tr>
 *   <tr><td>channelsLast</td><td>true: mini-batches reach the model in channels-last memory
 *       order, on which libtorch's CPU kernels train the lab's networks up to 24 % faster
 *       ({@code docs/performance.md})</td><td>true / false</td></tr>
 *   <tr><td>heldOutFraction</td><td>0.2: a seeded, class-balanced fifth of the tuning images is
 *       held out of tuning to measure the accuracy guard ({@link AccuracyCheck}) and for methods
 *       that choose settings on clean data (ANP's pruning threshold, FST's automatic alpha)</td>
 *       <td>[0, 0.5]; 0 turns the guard off</td></tr>
 *   <tr><td>accuracyBudget</td><td>3 percentage points of held-out accuracy; a larger drop is
 *       logged at WARN and marked in the result</td><td>(0, 100]</td></tr>
 *   <tr><td>listeners</td><td>none (epochs are logged at INFO; a {@link DivergenceCheck} always
 *       runs first)</td><td>any</td></tr>
 *   <tr><td>loss</td><td>{@link TuningLoss#crossEntropy()}</td><td>any; FST adds its penalty to
 *       it</td></tr>
 *   <tr><td>optimizer</td><td>{@link TuningOptimizer#sgd()}: SGD with PyTorch's momentum
 *       semantics and the momentum and weight decay above</td><td>any</td></tr>
 *   <tr><td>schedule</td><td>{@link LearningRateSchedule#cosine()}</td><td>any</td></tr>
 * </table>
 *
 * <p>The loss, optimizer and schedule are strategies: a method whose paper uses another one
 * supplies it in its builder's defaults (I-BAU: AMSGrad and a constant rate), and a caller may
 * replace any of them through {@link TunerBuilder}. Every one of them is recorded, by its {@code
 * toString}, in the run's configuration.
 */
public final class TuningConfig {

    private final int epochs;
    private final double learningRate;
    private final double momentum;
    private final double weightDecay;
    private final int batchSize;
    private final HeadSelector head;
    private final Device device;
    private final long seed;
    private final Augmentation augmentation;
    private final boolean channelsLast;
    private final double heldOutFraction;
    private final double accuracyBudget;
    private final ImmutableList<TuningListener> listeners;
    private final TuningLoss loss;
    private final TuningOptimizer.Factory optimizer;
    private final LearningRateSchedule schedule;

    private TuningConfig(Values v) {
        this.epochs = checkEpochs(v.epochs);
        this.learningRate = checkLearningRate(v.learningRate);
        this.momentum = checkMomentum(v.momentum);
        this.weightDecay = checkWeightDecay(v.weightDecay);
        this.batchSize = checkBatchSize(v.batchSize);
        this.head = Objects.requireNonNull(v.head, "head must not be null");
        this.device = v.device;
        this.seed = v.seed;
        this.augmentation = Objects.requireNonNull(v.augmentation, "augmentation must not be null");
        this.channelsLast = v.channelsLast;
        this.heldOutFraction = checkHeldOutFraction(v.heldOutFraction);
        this.accuracyBudget = checkAccuracyBudget(v.accuracyBudget);
        this.listeners = ImmutableList.copyOf(v.listeners);
        this.loss = Objects.requireNonNull(v.loss, "loss must not be null");
        this.optimizer = Objects.requireNonNull(v.optimizer, "optimizer must not be null");
        this.schedule = Objects.requireNonNull(v.schedule, "schedule must not be null");
    }

    /** The options as mutable values, to make a changed copy; validated by the constructor. */
    static final class Values {
        int epochs;
        double learningRate;
        double momentum;
        double weightDecay;
        int batchSize;
        HeadSelector head;
        Device device;
        long seed;
        Augmentation augmentation;
        boolean channelsLast;
        double heldOutFraction;
        double accuracyBudget;
        List<TuningListener> listeners;
        TuningLoss loss;
        TuningOptimizer.Factory optimizer;
        LearningRateSchedule schedule;
    }

    private Values values() {
        Values v = new Values();
        v.epochs = epochs;
        v.learningRate = learningRate;
        v.momentum = momentum;
        v.weightDecay = weightDecay;
        v.batchSize = batchSize;
        v.head = head;
        v.device = device;
        v.seed = seed;
        v.augmentation = augmentation;
        v.channelsLast = channelsLast;
        v.heldOutFraction = heldOutFraction;
        v.accuracyBudget = accuracyBudget;
        v.listeners = listeners;
        v.loss = loss;
        v.optimizer = optimizer;
        v.schedule = schedule;
        return v;
    }

    /** Returns a copy with the changes {@code change} makes to the values, validated. */
    TuningConfig with(Consumer<Values> change) {
        Values v = values();
        change.accept(v);
        return new TuningConfig(v);
    }

    /**
     * Returns the FST paper's CIFAR-10 settings listed in the class documentation.
     *
     * @return the defaults
     */
    public static TuningConfig paperDefaults() {
        Values v = new Values();
        v.epochs = 10;
        v.learningRate = 0.01;
        v.momentum = 0.9;
        v.weightDecay = 0;
        v.batchSize = 128;
        v.head = HeadSelector.auto();
        v.seed = 0L;
        v.augmentation = Augmentation.cropAndFlip();
        v.channelsLast = true;
        v.heldOutFraction = DEFAULT_HELD_OUT_FRACTION;
        v.accuracyBudget = DEFAULT_ACCURACY_BUDGET;
        v.listeners = List.of();
        v.loss = TuningLoss.crossEntropy();
        v.optimizer = TuningOptimizer.sgd();
        v.schedule = LearningRateSchedule.cosine();
        return new TuningConfig(v);
    }

    /**
     * Returns a copy with another number of epochs, for tuners whose default differs.
     *
     * @param epochs the epochs, {@code >= 1}
     * @return the copy
     */
    public TuningConfig withEpochs(int epochs) {
        return with(v -> v.epochs = epochs);
    }

    /**
     * Returns a copy with another learning rate, for tuners whose default differs.
     *
     * @param learningRate the rate, {@code > 0}
     * @return the copy
     */
    public TuningConfig withLearningRate(double learningRate) {
        return with(v -> v.learningRate = learningRate);
    }

    /**
     * Returns a copy with another batch size, for tuners whose default differs.
     *
     * @param batchSize the batch size, {@code >= 1}
     * @return the copy
     */
    public TuningConfig withBatchSize(int batchSize) {
        return with(v -> v.batchSize = batchSize);
    }

    /**
     * Returns a copy with another momentum, for tuners whose default differs.
     *
     * @param momentum in {@code [0, 1)}
     * @return the copy
     */
    public TuningConfig withMomentum(double momentum) {
        return with(v -> v.momentum = momentum);
    }

    /**
     * Returns a copy with another weight decay, for tuners whose default differs.
     *
     * @param weightDecay the L2 coefficient, {@code >= 0} and finite
     * @return the copy
     */
    public TuningConfig withWeightDecay(double weightDecay) {
        return with(v -> v.weightDecay = weightDecay);
    }

    /**
     * Returns a copy with another held-out share, for trainers that must use every image.
     *
     * @param heldOutFraction in {@code [0, 0.5]}
     * @return the copy
     */
    public TuningConfig withHeldOutFraction(double heldOutFraction) {
        return with(v -> v.heldOutFraction = heldOutFraction);
    }

    /**
     * Returns a copy with another loss, for a method whose loss is not plain cross-entropy.
     *
     * @param loss the loss
     * @return the copy
     */
    public TuningConfig withLoss(TuningLoss loss) {
        return with(v -> v.loss = loss);
    }

    /**
     * Returns a copy with another optimizer, for a method whose paper uses another update rule.
     *
     * @param optimizer makes each run's optimizer
     * @return the copy
     */
    public TuningConfig withOptimizer(TuningOptimizer.Factory optimizer) {
        return with(v -> v.optimizer = optimizer);
    }

    /**
     * Returns a copy with another learning-rate schedule.
     *
     * @param schedule the schedule
     * @return the copy
     */
    public TuningConfig withSchedule(LearningRateSchedule schedule) {
        return with(v -> v.schedule = schedule);
    }

    /** The default share of the tuning images held out for the accuracy guard. */
    public static final double DEFAULT_HELD_OUT_FRACTION = 0.2;

    /** The default accuracy budget, in percentage points of held-out accuracy. */
    public static final double DEFAULT_ACCURACY_BUDGET = 3;

    static double checkHeldOutFraction(double heldOutFraction) {
        Preconditions.checkArgument(
                heldOutFraction >= 0 && heldOutFraction <= 0.5,
                "heldOutFraction must be in [0, 0.5] but was %s",
                heldOutFraction);
        return heldOutFraction;
    }

    static double checkAccuracyBudget(double accuracyBudget) {
        Preconditions.checkArgument(
                accuracyBudget > 0 && accuracyBudget <= 100,
                "accuracyBudget must be in (0, 100] percentage points but was %s",
                accuracyBudget);
        return accuracyBudget;
    }

    static int checkEpochs(int epochs) {
        Preconditions.checkArgument(epochs >= 1, "epochs must be >= 1 but was %s", epochs);
        return epochs;
    }

    static double checkLearningRate(double learningRate) {
        Preconditions.checkArgument(
                Double.isFinite(learningRate) && learningRate > 0,
                "learningRate must be a finite number > 0 but was %s",
                learningRate);
        return learningRate;
    }

    static double checkMomentum(double momentum) {
        Preconditions.checkArgument(
                momentum >= 0 && momentum < 1, "momentum must be in [0, 1) but was %s", momentum);
        return momentum;
    }

    static double checkWeightDecay(double weightDecay) {
        Preconditions.checkArgument(
                Double.isFinite(weightDecay) && weightDecay >= 0,
                "weightDecay must be a finite number >= 0 but was %s",
                weightDecay);
        return weightDecay;
    }

    static int checkBatchSize(int batchSize) {
        Preconditions.checkArgument(batchSize >= 1, "batchSize must be >= 1 but was %s", batchSize);
        return batchSize;
    }

    /**
     * Returns the number of passes over the tuning data.
     *
     * @return epochs, {@code >= 1}
     */
    public int epochs() {
        return epochs;
    }

    /**
     * Returns the learning rate of the first epoch.
     *
     * @return the initial rate
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Returns the SGD momentum.
     *
     * @return momentum in {@code [0, 1)}
     */
    public double momentum() {
        return momentum;
    }

    /**
     * Returns the SGD weight decay.
     *
     * @return the L2 factor
     */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * Returns the mini-batch size.
     *
     * @return images per step; the last batch of an epoch may be smaller
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Returns how the head is chosen.
     *
     * @return the selector
     */
    public HeadSelector head() {
        return head;
    }

    /**
     * Returns the requested device.
     *
     * @return the device, or {@code null} for the device of the model's parameters
     */
    public Device device() {
        return device;
    }

    /**
     * Returns the seed of every random choice of the run (head initialisation, shuffling,
     * augmentation, and the engine's random state for dropout).
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
     * Returns whether mini-batches are handed to the model in channels-last memory order (a
     * (B, C, H, W) view of (B, H, W, C) values); the values, and so the results up to float
     * rounding, are the same either way.
     *
     * @return the setting, default {@code true}
     */
    public boolean channelsLast() {
        return channelsLast;
    }

    /**
     * Returns the share of the tuning images held out of tuning for the accuracy guard.
     *
     * @return a fraction in {@code [0, 0.5]}; 0 means no guard
     */
    public double heldOutFraction() {
        return heldOutFraction;
    }

    /**
     * Returns the largest acceptable drop of held-out accuracy.
     *
     * @return percentage points in {@code (0, 100]}
     */
    public double accuracyBudget() {
        return accuracyBudget;
    }

    /**
     * Returns the loss the default step minimises.
     *
     * @return the loss, default {@link TuningLoss#crossEntropy()}
     */
    public TuningLoss loss() {
        return loss;
    }

    /**
     * Returns what makes each run's optimizer.
     *
     * @return the factory, default {@link TuningOptimizer#sgd()}
     */
    public TuningOptimizer.Factory optimizer() {
        return optimizer;
    }

    /**
     * Returns the learning-rate schedule.
     *
     * @return the schedule, default {@link LearningRateSchedule#cosine()}
     */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /**
     * Returns the progress listeners.
     *
     * @return an immutable list
     */
    public List<TuningListener> listeners() {
        return listeners;
    }

    /**
     * Returns every option by name, in a stable order, for results and reports.
     *
     * @return an ordered, modifiable map
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("epochs", epochs);
        map.put("learningRate", learningRate);
        map.put("schedule", schedule.toString());
        map.put("momentum", momentum);
        map.put("weightDecay", weightDecay);
        map.put("batchSize", batchSize);
        map.put("head", head.toString());
        map.put("device", device == null ? "model's device" : device.toString());
        map.put("seed", seed);
        map.put("augmentation", augmentation.toString());
        map.put("channelsLast", channelsLast);
        map.put("heldOutFraction", heldOutFraction);
        map.put("accuracyBudget", accuracyBudget);
        map.put("loss", loss.toString());
        map.put("optimizer", optimizer.toString());
        return map;
    }

    @Override
    public String toString() {
        return toMap().toString();
    }
}
