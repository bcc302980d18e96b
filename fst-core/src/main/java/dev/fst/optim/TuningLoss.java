package dev.fst.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.fst.tuning.TuningContext;

/**
 * The loss the loop's default step minimises, a strategy of {@link
 * dev.fst.tuning.TuningConfig#loss()}. The default is {@link #crossEntropy()}; FST supplies
 * cross-entropy plus its feature-shift penalty.
 *
 * <p>A loss that needs state of the run (FST's copy of the original head weights) returns a bound
 * instance from {@link #forRun}, which the loop calls once per run, after the model was checked
 * and before the method's {@code prepare}: it still sees the model as it was handed in.
 * Implementations are immutable; their {@code toString} is recorded in the run's configuration.
 */
public interface TuningLoss {

    /**
     * Returns the loss of one mini-batch; called inside the step's gradient recording.
     *
     * @param logits the model's outputs, shape (batch, classes)
     * @param labels the class labels, shape (batch), int64
     * @param batch the mini-batch's manager, owner of any array the loss creates
     * @return a scalar
     */
    NDArray evaluate(NDArray logits, NDArray labels, NDManager batch);

    /**
     * Returns the loss to use for one run. Default: this loss.
     *
     * @param context the run, before the method's {@code prepare}
     * @return the run's loss
     */
    default TuningLoss forRun(TuningContext context) {
        return this;
    }

    /**
     * Returns the mean softmax cross-entropy, as PyTorch's {@code F.cross_entropy}.
     *
     * @return the loss
     */
    static TuningLoss crossEntropy() {
        return new CrossEntropy();
    }

    /**
     * Computes the mean softmax cross-entropy of a batch.
     *
     * @param logits shape (batch, classes)
     * @param labels shape (batch), integer classes
     * @return a scalar, in the manager of {@code logits}
     */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)).toType(logProbabilities.getDataType(), false);
        return logProbabilities.mul(oneHot).sum().neg().div(logits.getShape().get(0));
    }

    /** The mean softmax cross-entropy; see {@link TuningLoss#crossEntropy()}. */
    record CrossEntropy() implements TuningLoss {
        @Override
        public NDArray evaluate(NDArray logits, NDArray labels, NDManager batch) {
            return crossEntropy(logits, labels);
        }

        @Override
        public String toString() {
            return "cross-entropy";
        }
    }
}
