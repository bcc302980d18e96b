package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.nn.Parameter;
import dev.fst.head.ClassifierHead;
import java.util.List;

/**
 * A read-only view of a running loop, what a {@link TuningListener} sees, as DJL's training
 * listeners see the {@code Trainer}. Listeners may read the model (evaluate it in inference mode,
 * for example) but must not change its parameters.
 */
public interface TuningView {

    /**
     * Returns the name of the method that runs, or {@code training} for {@link ModelTraining}.
     *
     * @return for example {@code FST}
     */
    String method();

    /**
     * Returns the run's shared options.
     *
     * @return the options
     */
    TuningConfig config();

    /**
     * Returns the model being tuned. Read it only: a listener that changes it breaks the run.
     *
     * @return the model
     */
    Model model();

    /**
     * Returns the classifier head of the run.
     *
     * @return the head
     */
    ClassifierHead head();

    /**
     * Returns the parameters whose gradients the run records ({@link
     * TuningMethod#trainableParameters}).
     *
     * @return an immutable list; empty before the method's {@code prepare}
     */
    List<Parameter> trainableParameters();

    /**
     * Returns what the run trains on.
     *
     * @return the tuning data, the held-out share included
     */
    TuningData data();

    /**
     * Returns the current epoch.
     *
     * @return 1-based; 0 before the first one
     */
    int epoch();

    /**
     * Returns the number of epochs of the run.
     *
     * @return {@code >= 1}
     */
    int epochs();

    /**
     * Returns the current mini-batch within its epoch.
     *
     * @return 1-based; 0 outside a batch
     */
    int batch();

    /**
     * Returns the number of mini-batches of every epoch.
     *
     * @return {@code >= 1}
     */
    int batchesPerEpoch();

    /**
     * Returns the loss of the latest mini-batch.
     *
     * @return the loss; {@code NaN} before the first batch
     */
    double batchLoss();

    /**
     * Returns the learning rate of the current epoch.
     *
     * @return the rate; 0 before the first epoch
     */
    double learningRate();

    /**
     * Returns the epochs completed so far.
     *
     * @return an immutable copy
     */
    List<EpochRecord> history();
}
