package dev.fst.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.internal.EngineAdapter;
import java.util.HashMap;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum exactly as {@code torch.optim.SGD} computes it (no
 * dampening, no Nesterov): {@code g <- grad + weightDecay * p}; {@code v <- g} on the first step,
 * {@code v <- momentum * v + g} afterwards; {@code p <- p - lr * v}.
 *
 * <p>DJL's built-in SGD folds the learning rate into the velocity ({@code v <- momentum * v + lr *
 * g}), which only agrees with PyTorch at a constant rate; FST's cosine schedule changes the rate
 * every epoch, so this class keeps PyTorch's order. After each update the parameter's gradient is
 * zeroed. Velocity buffers live in the manager given at construction and die with it.
 *
 * <p>Not thread-safe; one instance per tuning run.
 */
public final class TorchSgd implements TuningOptimizer {

    private final double momentum;
    private final double weightDecay;
    private final NDManager stateManager;
    private final Map<String, NDArray> velocities = new HashMap<>();

    /**
     * Creates the optimizer.
     *
     * @param momentum momentum factor in {@code [0, 1)}
     * @param weightDecay L2 penalty factor, {@code >= 0}
     * @param stateManager owner of the velocity buffers
     */
    public TorchSgd(double momentum, double weightDecay, NDManager stateManager) {
        Preconditions.checkArgument(
                momentum >= 0 && momentum < 1, "momentum must be in [0, 1) but was %s", momentum);
        Preconditions.checkArgument(
                weightDecay >= 0, "weightDecay must be >= 0 but was %s", weightDecay);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.stateManager = stateManager;
    }

    /**
     * Updates one array in place from a given gradient, with the momentum buffer stored under
     * {@code key}; the array's own gradient is not touched. Methods that optimise arrays of their
     * own (masks, perturbations) use this with gradients they computed.
     *
     * @param key a name unique to the array within this optimizer
     * @param weight the array to update in place
     * @param gradient its gradient, same shape; not modified
     * @param learningRate the step size of this step, {@code > 0}
     */
    @Override
    public void update(String key, NDArray weight, NDArray gradient, double learningRate) {
        try (NDManager scope = stateManager.newSubManager()) {
            NDArray direction = gradient;
            if (weightDecay != 0) {
                NDArray decay = weight.mul((float) weightDecay);
                decay.attach(scope);
                direction = gradient.add(decay);
                direction.attach(scope);
            }
            if (momentum != 0) {
                NDArray velocity = velocities.get(key);
                if (velocity == null) {
                    velocity = direction.duplicate();
                    velocity.attach(stateManager);
                    velocities.put(key, velocity);
                } else {
                    velocity.muli((float) momentum).addi(direction);
                }
                direction = velocity;
            }
            NDArray update = direction.mul((float) learningRate);
            update.attach(scope);
            weight.subi(update);
        }
    }

    /**
     * Zeroes the accumulated gradient of an array (DJL's gradient collector adds to it).
     *
     * @param array a parameter array with gradients enabled
     */
    public static void zeroGradient(NDArray array) {
        EngineAdapter.zeroGradient(array);
    }

    /**
     * Zeroes an array's gradient if it has one, so a run never starts from gradients that an
     * earlier, failed run left behind.
     *
     * @param array a parameter array
     */
    public static void clearGradient(NDArray array) {
        NDArray grad = EngineAdapter.gradient(array);
        if (grad != null) {
            grad.close();
            zeroGradient(array);
        }
    }
}
