package dev.fst.tuning;

import ai.djl.Device;
import dev.fst.data.Augmentation;
import dev.fst.head.HeadSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The options every tuner's builder shares. Each setter validates its argument at once and may be
 * called only once; {@code IllegalArgumentException} names the option, the valid range and the
 * value, {@code IllegalStateException} a second call. Unset options take the tuner's defaults
 * (see {@link TuningConfig}).
 *
 * @param <B> the concrete builder type, returned by every setter for chaining
 */
public abstract class TunerBuilder<B extends TunerBuilder<B>> {

    private final TuningConfig defaults;
    private Integer epochs;
    private Double learningRate;
    private Double momentum;
    private Double weightDecay;
    private Integer batchSize;
    private HeadSelector head;
    private Device device;
    private Long seed;
    private Augmentation augmentation;
    private Boolean channelsLast;
    private dev.fst.optim.TuningLoss loss;
    private dev.fst.optim.TuningOptimizer.Factory optimizer;
    private dev.fst.optim.LearningRateSchedule schedule;
    private Double heldOutFraction;
    private Double accuracyBudget;
    private final List<TuningListener> listeners = new ArrayList<>();

    /**
     * Creates a builder.
     *
     * @param defaults the values of options the user does not set
     */
    protected TunerBuilder(TuningConfig defaults) {
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    /**
     * Returns this builder as its concrete type.
     *
     * @return {@code this}
     */
    protected abstract B self();

    /**
     * Refuses a second call to a setter.
     *
     * @param current the option's current value, {@code null} while unset
     * @param option the option's name
     * @throws IllegalStateException if the option was set before
     */
    protected static void requireUnset(Object current, String option) {
        if (current != null) {
            throw new IllegalStateException(option + " was already set to " + current);
        }
    }

    /**
     * Sets the number of passes over the tuning data. Default 10.
     *
     * @param epochs {@code >= 1}
     * @return this builder
     */
    public B epochs(int epochs) {
        requireUnset(this.epochs, "epochs");
        this.epochs = TuningConfig.checkEpochs(epochs);
        return self();
    }

    /**
     * Sets the learning rate of the first epoch; it then follows a cosine curve towards 0, stepped
     * per epoch. Default 0.01.
     *
     * @param learningRate finite, {@code > 0}
     * @return this builder
     */
    public B learningRate(double learningRate) {
        requireUnset(this.learningRate, "learningRate");
        this.learningRate = TuningConfig.checkLearningRate(learningRate);
        return self();
    }

    /**
     * Sets the SGD momentum (PyTorch semantics). Default 0.9.
     *
     * @param momentum in {@code [0, 1)}
     * @return this builder
     */
    public B momentum(double momentum) {
        requireUnset(this.momentum, "momentum");
        this.momentum = TuningConfig.checkMomentum(momentum);
        return self();
    }

    /**
     * Sets the SGD weight decay, applied to every trained parameter. Default 0.
     *
     * @param weightDecay finite, {@code >= 0}
     * @return this builder
     */
    public B weightDecay(double weightDecay) {
        requireUnset(this.weightDecay, "weightDecay");
        this.weightDecay = TuningConfig.checkWeightDecay(weightDecay);
        return self();
    }

    /**
     * Sets the mini-batch size. Default 128.
     *
     * @param batchSize {@code >= 1}
     * @return this builder
     */
    public B batchSize(int batchSize) {
        requireUnset(this.batchSize, "batchSize");
        this.batchSize = TuningConfig.checkBatchSize(batchSize);
        return self();
    }

    /**
     * Sets how the classifier head is found. Default {@link HeadSelector#auto()}.
     *
     * @param head the selector
     * @return this builder
     */
    public B head(HeadSelector head) {
        requireUnset(this.head, "head");
        this.head = Objects.requireNonNull(head, "head must not be null");
        return self();
    }

    /**
     * Sets the device to tune on. It must be the device the model's parameters live on (load or
     * create the model there); the check happens in {@code purify}, before anything changes.
     * Default: the parameters' device, which for a model DJL created is the GPU when one is
     * present and the CPU otherwise.
     *
     * @param device the device
     * @return this builder
     */
    public B device(Device device) {
        requireUnset(this.device, "device");
        this.device = Objects.requireNonNull(device, "device must not be null");
        return self();
    }

    /**
     * Sets the seed of every random choice of a run. Default 0. The same seed on the CPU gives
     * bit-identical weights.
     *
     * @param seed any value
     * @return this builder
     */
    public B seed(long seed) {
        requireUnset(this.seed, "seed");
        this.seed = seed;
        return self();
    }

    /**
     * Sets the training-time augmentation. Default {@link Augmentation#cropAndFlip()}.
     *
     * @param augmentation the augmentation, {@link Augmentation#none()} to switch it off
     * @return this builder
     */
    public B augmentation(Augmentation augmentation) {
        requireUnset(this.augmentation, "augmentation");
        this.augmentation = Objects.requireNonNull(augmentation, "augmentation must not be null");
        return self();
    }

    /**
     * Adds a progress listener; may be called several times. No listener by default (each epoch is
     * logged at INFO through SLF4J). {@link TuningListener#progressBar()} draws a console bar.
     *
     * @param listener the listener
     * @return this builder
     */
    public B listener(TuningListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
        return self();
    }

    /**
     * Sets whether mini-batches reach the model in channels-last memory order. Default {@code true}:
     * libtorch's CPU convolution, batch-norm and pooling kernels run faster on it (measured in
     * {@code docs/performance.md}); the values are the same. Switch it off for a TorchScript model
     * that calls {@code view} on a spatial feature map, which channels-last strides do not allow.
     *
     * @param channelsLast the setting
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public B channelsLast(boolean channelsLast) {
        requireUnset(this.channelsLast, "channelsLast");
        this.channelsLast = channelsLast;
        return self();
    }

    /**
     * Sets the loss the default step minimises, replacing the method's own default (FST keeps
     * adding its penalty to it).
     *
     * @param loss the loss; default {@link dev.fst.optim.TuningLoss#crossEntropy()}
     * @return this builder
     * @throws IllegalStateException if set before
     */
    public B loss(dev.fst.optim.TuningLoss loss) {
        requireUnset(this.loss, "loss");
        this.loss = Objects.requireNonNull(loss, "loss must not be null");
        return self();
    }

    /**
     * Sets what makes each run's optimizer, replacing the method's own default.
     *
     * @param optimizer the factory; default {@link dev.fst.optim.TuningOptimizer#sgd()} (I-BAU:
     *     AMSGrad)
     * @return this builder
     * @throws IllegalStateException if set before
     */
    public B optimizer(dev.fst.optim.TuningOptimizer.Factory optimizer) {
        requireUnset(this.optimizer, "optimizer");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer must not be null");
        return self();
    }

    /**
     * Sets the learning-rate schedule, replacing the method's own default.
     *
     * @param schedule the schedule; default {@link dev.fst.optim.LearningRateSchedule#cosine()}
     *     (ANP, I-BAU: constant; NFT: cosine with a floor)
     * @return this builder
     * @throws IllegalStateException if set before
     */
    public B schedule(dev.fst.optim.LearningRateSchedule schedule) {
        requireUnset(this.schedule, "schedule");
        this.schedule = Objects.requireNonNull(schedule, "schedule must not be null");
        return self();
    }

    /**
     * Sets the share of the tuning images held out of tuning, class-balanced and seeded, for the
     * accuracy guard ({@link AccuracyCheck}) and for methods that choose settings on clean data.
     * Default 0.2. {@code 0} tunes on every image and turns the guard off.
     *
     * @param heldOutFraction in {@code [0, 0.5]}
     * @return this builder
     * @throws IllegalArgumentException if it is outside [0, 0.5]
     * @throws IllegalStateException if already set
     */
    public B heldOutFraction(double heldOutFraction) {
        requireUnset(this.heldOutFraction, "heldOutFraction");
        this.heldOutFraction = TuningConfig.checkHeldOutFraction(heldOutFraction);
        return self();
    }

    /**
     * Sets the largest acceptable drop of held-out accuracy, in percentage points. Default 3: a
     * larger drop is logged at WARN and {@link PurificationResult#withinBudget()} is false (the
     * {@code purify} command then writes no model).
     *
     * @param accuracyBudget in {@code (0, 100]}
     * @return this builder
     * @throws IllegalArgumentException if it is outside (0, 100]
     * @throws IllegalStateException if already set
     */
    public B accuracyBudget(double accuracyBudget) {
        requireUnset(this.accuracyBudget, "accuracyBudget");
        this.accuracyBudget = TuningConfig.checkAccuracyBudget(accuracyBudget);
        return self();
    }

    /**
     * Builds the shared options from what was set and the defaults.
     *
     * @return the validated, immutable options
     */
    protected TuningConfig config() {
        return defaults.with(v -> {
            if (epochs != null) v.epochs = epochs;
            if (learningRate != null) v.learningRate = learningRate;
            if (momentum != null) v.momentum = momentum;
            if (weightDecay != null) v.weightDecay = weightDecay;
            if (batchSize != null) v.batchSize = batchSize;
            if (head != null) v.head = head;
            if (device != null) v.device = device;
            if (seed != null) v.seed = seed;
            if (augmentation != null) v.augmentation = augmentation;
            if (channelsLast != null) v.channelsLast = channelsLast;
            if (heldOutFraction != null) v.heldOutFraction = heldOutFraction;
            if (accuracyBudget != null) v.accuracyBudget = accuracyBudget;
            if (loss != null) v.loss = loss;
            if (optimizer != null) v.optimizer = optimizer;
            if (schedule != null) v.schedule = schedule;
            v.listeners = listeners;
        });
    }
}
