package dev.fst;

/**
 * How FST's penalty scales with the original head weights {@code W0}.
 *
 * <ul>
 *   <li>{@link #PAPER}: {@code alpha * <W, W0>} summed over head layers, the paper's term. Its
 *       gradient {@code alpha * W0} grows with the head's norm while the cross-entropy's does not,
 *       so one alpha means a different pull on every model: the paper's 0.2 is tuned for a CIFAR
 *       ResNet-18 and costs a small CNN most of its accuracy (docs/results.md).
 *   <li>{@link #COSINE}: {@code alpha * <W, W0> / ||W0||^2} per layer, which at the projected norm
 *       {@code ||W|| = ||W0||} is {@code alpha * cos(W, W0)}: bounded by alpha whatever the head's
 *       norm. {@code alpha} in this scale equals {@code alpha * ||W0||^2} in the paper's.
 * </ul>
 */
public enum PenaltyScale {
    /** The paper's {@code alpha * <W, W0>}. */
    PAPER,
    /** {@code alpha * <W, W0> / ||W0||^2}, {@code alpha * cos(W, W0)} at the projected norm. */
    COSINE
}
