package dev.fst.tuning;

import ai.djl.Device;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.fst.data.Augmentation;
import dev.fst.head.HeadSelector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
 *   <tr><td>allocatorTuning</td><td>false; true tells glibc to keep freed tensor memory for the
 *       next step (process-wide mallopt; no measured gain since the forward pass releases its
 *       intermediates, more peak memory)</td>
 *       <td>true / false</td></tr>
 *   <tr><td>heldOutFraction</td><td>0.2: a seeded, class-balanced fifth of the tuning images is
 *       held out of tuning to measure the accuracy guard ({@link AccuracyCheck}) and for methods
 *       that choose settings on clean data (ANP's pruning threshold, FST's automatic alpha)</td>
 *       <td>[0, 0.5]; 0 turns the guard off</td></tr>
 *   <tr><td>accuracyBudget</td><td>3 percentage points of held-out accuracy; a larger drop is
 *       logged at WARN and marked in the result</td><td>(0, 100]</td></tr>
 *   <tr><td>listeners</td><td>none (epochs are logged at INFO)</td><td>any</td></tr>
 * </table>
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
    private final boolean allocatorTuning;
    private final double heldOutFraction;
    private final double accuracyBudget;
    private final ImmutableList<TuningListener> listeners;

    TuningConfig(
            int epochs,
            double learningRate,
            double momentum,
            double weightDecay,
            int batchSize,
            HeadSelector head,
            Device device,
            long seed,
            Augmentation augmentation,
            boolean channelsLast,
            boolean allocatorTuning,
            double heldOutFraction,
            double accuracyBudget,
            List<TuningListener> listeners) {
        this.epochs = checkEpochs(epochs);
        this.learningRate = checkLearningRate(learningRate);
        this.momentum = checkMomentum(momentum);
        this.weightDecay = checkWeightDecay(weightDecay);
        this.batchSize = checkBatchSize(batchSize);
        this.head = Objects.requireNonNull(head, "head must not be null");
        this.device = device;
        this.seed = seed;
        this.augmentation = Objects.requireNonNull(augmentation, "augmentation must not be null");
        this.channelsLast = channelsLast;
        this.allocatorTuning = allocatorTuning;
        this.heldOutFraction = checkHeldOutFraction(heldOutFraction);
        this.accuracyBudget = checkAccuracyBudget(accuracyBudget);
        this.listeners = ImmutableList.copyOf(listeners);
    }

    /**
     * Returns the FST paper's CIFAR-10 settings listed in the class documentation.
     *
     * @return the defaults
     */
    public static TuningConfig paperDefaults() {
        return new TuningConfig(
                10, 0.01, 0.9, 0, 128, HeadSelector.auto(), null, 0L, Augmentation.cropAndFlip(),
                true, false, DEFAULT_HELD_OUT_FRACTION, DEFAULT_ACCURACY_BUDGET, List.of());
    }

    /**
     * Returns a copy with another number of epochs, for tuners whose default differs.
     *
     * @param epochs the epochs, {@code >= 1}
     * @return the copy
     */
    public TuningConfig withEpochs(int epochs) {
        return new TuningConfig(
                epochs, learningRate, momentum, weightDecay, batchSize, head, device, seed,
                augmentation, channelsLast, allocatorTuning, heldOutFraction, accuracyBudget, listeners);
    }

    /**
     * Returns a copy with another learning rate, for tuners whose default differs.
     *
     * @param learningRate the rate, {@code > 0}
     * @return the copy
     */
    public TuningConfig withLearningRate(double learningRate) {
        return new TuningConfig(
                epochs, learningRate, momentum, weightDecay, batchSize, head, device, seed,
                augmentation, channelsLast, allocatorTuning, heldOutFraction, accuracyBudget, listeners);
    }

    /**
     * Returns a copy with another batch size, for tuners whose default differs.
     *
     * @param batchSize the batch size, {@code >= 1}
     * @return the copy
     */
    public TuningConfig withBatchSize(int batchSize) {
        return new TuningConfig(
                epochs, learningRate, momentum, weightDecay, batchSize, head, device, seed,
                augmentation, channelsLast, allocatorTuning, heldOutFraction, accuracyBudget, listeners);
    }

    /**
     * Returns a copy with another momentum, for tuners whose default differs.
     *
     * @param momentum in {@code [0, 1)}
     * @return the copy
     */
    public TuningConfig withMomentum(double momentum) {
        return new TuningConfig(
                epochs, learningRate, momentum, weightDecay, batchSize, head, device, seed,
                augmentation, channelsLast, allocatorTuning, heldOutFraction, accuracyBudget, listeners);
    }

    /**
     * Returns a copy with another weight decay, for tuners whose default differs.
     *
     * @param weightDecay the L2 coefficient, {@code >= 0} and finite
     * @return the copy
     */
    public TuningConfig withWeightDecay(double weightDecay) {
        return new TuningConfig(
                epochs, learningRate, momentum, weightDecay, batchSize, head, device, seed, augmentation, channelsLast,
                allocatorTuning, heldOutFraction, accuracyBudget, listeners);
    }

    /**
     * Returns a copy with another held-out share, for trainers that must use every image.
     *
     * @param heldOutFraction in {@code [0, 0.5]}
     * @return the copy
     */
    public TuningConfig withHeldOutFraction(double heldOutFraction) {
        return new TuningConfig(
                epochs, learningRate, momentum, weightDecay, batchSize, head, device, seed, augmentation, channelsLast,
                allocatorTuning, heldOutFraction, accuracyBudget, listeners);
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
     * Returns whether glibc's allocator is told to keep freed tensor memory during a run.
     *
     * @return the setting, default {@code false}
     */
    public boolean allocatorTuning() {
        return allocatorTuning;
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
        map.put("schedule", "cosine per epoch");
        map.put("momentum", momentum);
        map.put("weightDecay", weightDecay);
        map.put("batchSize", batchSize);
        map.put("head", head.toString());
        map.put("device", device == null ? "model's device" : device.toString());
        map.put("seed", seed);
        map.put("augmentation", augmentation.toString());
        map.put("channelsLast", channelsLast);
        map.put("allocatorTuning", allocatorTuning);
        map.put("heldOutFraction", heldOutFraction);
        map.put("accuracyBudget", accuracyBudget);
        return map;
    }

    @Override
    public String toString() {
        return toMap().toString();
    }
}
