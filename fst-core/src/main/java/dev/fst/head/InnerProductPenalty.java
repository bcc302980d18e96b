package dev.fst.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;

/**
 * FST's feature-shift penalty {@code alpha * sum over head layers of <W, W0>}: the Frobenius inner
 * product of each head weight with a frozen copy of its original value, summed over all entries
 * (not averaged), so its gradient with respect to {@code W} is exactly {@code alpha * W0} whatever
 * the batch size. Minimising it turns the head away from the compromised weights.
 */
public final class InnerProductPenalty {

    private final ImmutableList<HeadLayer> layers;
    private final ImmutableList<NDArray> originals;
    private final ImmutableList<NDArray> targets;
    private final double alpha;

    private InnerProductPenalty(
            List<HeadLayer> layers, List<NDArray> originals, List<NDArray> targets, double alpha) {
        this.layers = ImmutableList.copyOf(layers);
        this.originals = ImmutableList.copyOf(originals);
        this.targets = ImmutableList.copyOf(targets);
        this.alpha = alpha;
    }

    /**
     * Copies every head weight as its {@code W0}; call it before the head changes.
     *
     * @param head the head, still holding the original weights
     * @param alpha the penalty's weight, finite and {@code >= 0}
     * @param manager owner of the copies (which carry no gradient)
     * @return the penalty
     */
    public static InnerProductPenalty capture(ClassifierHead head, double alpha, NDManager manager) {
        return capture(head, alpha, false, manager);
    }

    /**
     * Copies every head weight as its {@code W0}; call it before the head changes. Normalised, the
     * penalty of a layer is {@code alpha * <W, W0> / ||W0||^2}, which at the projected norm
     * {@code ||W|| = ||W0||} is {@code alpha * cos(W, W0)}: it no longer grows with the square of
     * the head's norm, and neither does its gradient relative to the cross-entropy's.
     *
     * @param head the head, still holding the original weights
     * @param alpha the penalty's weight, finite and {@code >= 0}
     * @param normalized whether each layer's term is divided by {@code ||W0||^2}
     * @param manager owner of the copies (which carry no gradient)
     * @return the penalty
     */
    public static InnerProductPenalty capture(
            ClassifierHead head, double alpha, boolean normalized, NDManager manager) {
        Preconditions.checkArgument(
                Double.isFinite(alpha) && alpha >= 0, "alpha must be a finite number >= 0 but was %s",
                alpha);
        List<NDArray> originals = new ArrayList<>();
        List<NDArray> targets = new ArrayList<>();
        for (HeadLayer layer : head.layers()) {
            NDArray copy = layer.weight().getArray().duplicate();
            copy.attach(manager);
            originals.add(copy);
            if (normalized) {
                double squared = Math.pow(NormProjection.frobenius(copy), 2);
                NDArray scaled = copy.div((float) squared);
                scaled.attach(manager);
                targets.add(scaled);
            } else {
                targets.add(copy);
            }
        }
        return new InnerProductPenalty(head.layers(), originals, targets, alpha);
    }

    /**
     * Returns the original weight of one head layer.
     *
     * @param index layer index in the head's order
     * @return the frozen copy {@code W0}
     */
    public NDArray original(int index) {
        return originals.get(index);
    }

    /**
     * Computes the penalty from the current head weights; inside a gradient recording it
     * contributes {@code alpha * W0} to each head weight's gradient.
     *
     * @param batch owner of the result and its intermediates
     * @return a scalar
     */
    public NDArray evaluate(NDManager batch) {
        NDArray total = null;
        for (int i = 0; i < layers.size(); i++) {
            NDArray product = layers.get(i).weight().getArray().mul(targets.get(i));
            product.attach(batch);
            NDArray inner = product.sum();
            total = total == null ? inner : total.add(inner);
        }
        return total.mul((float) alpha);
    }
}
