package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.common.base.Preconditions;

/**
 * Trains a model with the loop's machinery but no purification method: the configured loss,
 * optimizer, schedule, augmentation and listeners, every image trained on. For training a model
 * from scratch (the lab's backdoored models) or plain supervised tuning; a purification runs
 * through a {@link Purifier} instead.
 */
public final class ModelTraining {

    /** The name training runs carry in logs, listener views and failure messages. */
    public static final String NAME = "training";

    private ModelTraining() {}

    /**
     * Trains {@code model} in place.
     *
     * @param model an initialised model whose output has one logit per class
     * @param data the training images
     * @param config the options; {@code heldOutFraction} must be 0 (training holds nothing out)
     * @return what the run did
     * @throws IllegalArgumentException if the model and data do not fit together, or the
     *     configuration holds images out
     * @throws PurificationException if training failed (for example a NaN loss); the model was
     *     restored to its state before training
     */
    public static TrainingResult train(Model model, RandomAccessDataset data, TuningConfig config) {
        Preconditions.checkArgument(config.heldOutFraction() == 0,
                "training uses every image: heldOutFraction must be 0 but was %s", config.heldOutFraction());
        TuningLoop.Outcome outcome = TuningLoop.run(NAME, config, model, data, new TuningMethod() {});
        return new TrainingResult(config, outcome.history(), outcome.data(), outcome.environment(),
                outcome.startedAt(), outcome.wallTime());
    }
}
