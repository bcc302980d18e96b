package dev.fst.tuning;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.List;

/**
 * Stops a run that diverged, as DJL's {@code DivergenceCheckTrainingListener} does: a mini-batch
 * whose loss is NaN or infinite fails the run at that batch, and an epoch (or the method's {@code
 * finish}) that leaves a NaN or infinite value in a trainable parameter fails it there. The loop
 * runs one before every configured listener; the failure restores the model like any other.
 */
public final class DivergenceCheck implements TuningListener {

    @Override
    public void onBatchEnd(TuningView run) {
        double loss = run.batchLoss();
        if (!Double.isFinite(loss)) {
            throw new Diverged(loss);
        }
    }

    @Override
    public void onEpochEnd(TuningView run, EpochRecord record) {
        checkParameters(run.trainableParameters());
    }

    /**
     * Checks that every value of the parameters is finite.
     *
     * @param parameters the parameters
     * @throws IllegalStateException naming the first parameter that holds NaN or infinite values
     */
    public static void checkParameters(List<Parameter> parameters) {
        for (Parameter parameter : parameters) {
            try (NDArray sum = parameter.getArray().sum()) {
                if (!Float.isFinite(sum.getFloat())) {
                    throw new IllegalStateException(
                            "parameter " + parameter.getName() + " holds NaN or infinite values");
                }
            }
        }
    }

    /** The loss of a mini-batch was NaN or infinite. */
    public static final class Diverged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the signal.
         *
         * @param loss the batch's loss
         */
        public Diverged(double loss) {
            super("the loss is " + loss);
        }
    }
}
