package dev.fst.lab.train;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.fst.lab.data.LabeledImages;
import dev.fst.tuning.ModelTraining;
import dev.fst.tuning.TrainingResult;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import java.util.Objects;

/**
 * Trains a classifier on a (possibly poisoned) training set with the FST reference's recipe for
 * backdoored models: SGD with PyTorch momentum, weight decay, a per-epoch cosine schedule and
 * random-crop/flip augmentation, every parameter trainable, the head kept as initialised.
 *
 * <p>It runs on fst-core's {@link TuningLoop}, so training gets the same seeded shuffling,
 * augmentation, progress reporting ({@code listener(TuningListener.progressBar())}), NaN checks and
 * restore-on-failure as purification. Defaults (FST reference, CIFAR-10): learning rate 0.1 (WaNet
 * models: 0.01), momentum 0.9, weight decay 5e-4, batch 128, crop (padding 4) and flip, seed 0,
 * 10 epochs (the reference trains 100; the lab's CPU runs use fewer). Instances are immutable.
 */
public final class BackdoorTrainer {

    private final TuningConfig config;

    private BackdoorTrainer(TuningConfig config) {
        this.config = config;
    }

    /**
     * Starts a builder with the defaults above.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the validated settings.
     *
     * @return the configuration
     */
    public TuningConfig config() {
        return config;
    }

    /**
     * Trains {@code model} in place on {@code images}.
     *
     * @param model an initialised model whose output has one logit per class
     * @param images the training images
     * @return what the run did: per-epoch loss and accuracy, wall time, settings
     * @throws IllegalArgumentException if the model and images do not fit together
     * @throws dev.fst.tuning.PurificationException if training failed (for example a NaN loss);
     *     the model is restored to its state before training
     */
    public TrainingResult train(Model model, LabeledImages images) {
        Objects.requireNonNull(model, "model must not be null");
        Objects.requireNonNull(images, "images must not be null");
        try (NDManager data = NDManager.newBaseManager(model.getNDManager().getDevice(), "PyTorch")) {
            return ModelTraining.train(model, images.toDataset(data), config);
        }
    }

    @Override
    public String toString() {
        return "BackdoorTrainer" + config.toMap();
    }

    /** Options of {@link BackdoorTrainer}; each validated when set, each settable once. */
    public static final class Builder extends TunerBuilder<Builder> {

        private Builder() {
            super(TuningConfig.paperDefaults().withLearningRate(0.1).withWeightDecay(5e-4).withHeldOutFraction(0));
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the trainer.
         *
         * @return an immutable trainer
         */
        public BackdoorTrainer build() {
            return new BackdoorTrainer(config());
        }
    }
}
