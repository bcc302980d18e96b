package dev.fst.head;

import ai.djl.ndarray.NDArray;
import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * Holds each head weight on the sphere of its original Frobenius norm: {@code W <- W * ||W0|| /
 * ||W||}, applied in place after every optimizer step (FST's projection constraint, paper Section 4;
 * biases are untouched).
 *
 * <p>Create it before the head changes, so it records the original norms.
 */
public final class NormProjection {

    private final ImmutableList<HeadLayer> layers;
    private final double[] targets;

    private NormProjection(List<HeadLayer> layers, double[] targets) {
        this.layers = ImmutableList.copyOf(layers);
        this.targets = targets;
    }

    /**
     * Records the current Frobenius norm of every layer's weight as its target.
     *
     * @param head the head, before any change
     * @return the projection
     */
    public static NormProjection capture(ClassifierHead head) {
        double[] targets = new double[head.layers().size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = frobenius(head.layers().get(i).weight().getArray());
        }
        return new NormProjection(head.layers(), targets);
    }

    /**
     * Returns the target norm of one layer.
     *
     * @param index layer index in the head's order
     * @return the weight's original Frobenius norm
     */
    public double target(int index) {
        return targets[index];
    }

    /** Rescales every head weight in place to its target norm. */
    public void project() {
        for (int i = 0; i < targets.length; i++) {
            NDArray weight = layers.get(i).weight().getArray();
            double norm = frobenius(weight);
            if (norm > 0) {
                weight.muli((float) (targets[i] / norm));
            }
        }
    }

    /**
     * Returns the Frobenius (L2) norm of an array.
     *
     * @param array any array
     * @return the norm of all its values
     */
    public static double frobenius(NDArray array) {
        try (NDArray norm = array.norm()) {
            return norm.getFloat();
        }
    }
}
