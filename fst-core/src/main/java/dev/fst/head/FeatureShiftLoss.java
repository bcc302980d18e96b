package dev.fst.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.optim.TuningLoss;
import dev.fst.tuning.TuningContext;
import java.util.Objects;

/**
 * FST's loss: a base loss (cross-entropy) plus the feature-shift penalty {@code alpha * sum over
 * head layers of <W, W0>} of {@link InnerProductPenalty}, optionally with each layer's term divided
 * by {@code ||W0||^2} (the cosine scale). Bound to a run by {@link #forRun}, which copies the head's
 * weights as {@code W0} before the method re-initialises the head.
 */
public final class FeatureShiftLoss implements TuningLoss {

    private final TuningLoss base;
    private final double alpha;
    private final boolean normalized;

    private FeatureShiftLoss(TuningLoss base, double alpha, boolean normalized) {
        this.base = Objects.requireNonNull(base, "base");
        Preconditions.checkArgument(
                Double.isFinite(alpha) && alpha >= 0, "alpha must be a finite number >= 0 but was %s", alpha);
        this.alpha = alpha;
        this.normalized = normalized;
    }

    /**
     * Returns {@code base} plus the penalty, or {@code base} itself when {@code alpha} is 0.
     *
     * @param base the loss to add the penalty to
     * @param alpha the penalty's weight, finite and {@code >= 0}
     * @param normalized whether each layer's term is divided by {@code ||W0||^2}
     * @return the loss
     */
    public static TuningLoss of(TuningLoss base, double alpha, boolean normalized) {
        return alpha == 0 ? base : new FeatureShiftLoss(base, alpha, normalized);
    }

    /** Not bound to a run: the loop always calls {@link #forRun} first. */
    @Override
    public NDArray evaluate(NDArray logits, NDArray labels, NDManager batch) {
        throw new IllegalStateException("FST's loss needs the run's original head weights: bind it with forRun");
    }

    @Override
    public TuningLoss forRun(TuningContext context) {
        TuningLoss boundBase = base.forRun(context);
        InnerProductPenalty penalty =
                InnerProductPenalty.capture(context.head(), alpha, normalized, context.manager());
        String description = toString();
        return new TuningLoss() {
            @Override
            public NDArray evaluate(NDArray logits, NDArray labels, NDManager batch) {
                return boundBase.evaluate(logits, labels, batch).add(penalty.evaluate(batch));
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    @Override
    public String toString() {
        return base + " + " + alpha + " * <W, W0>" + (normalized ? " / ||W0||^2" : "");
    }
}
