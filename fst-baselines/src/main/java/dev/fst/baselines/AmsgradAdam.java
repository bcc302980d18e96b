package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.optim.TuningOptimizer;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam with the AMSGrad variant, computed as {@code torch.optim.Adam(..., amsgrad=True)} does for
 * one tensor. Per array, with step count {@code t} starting at 1:
 *
 * <pre>
 *   g     = gradient + weightDecay * p
 *   m     = beta1 * m + (1 - beta1) * g
 *   v     = beta2 * v + (1 - beta2) * g * g
 *   vMax  = max(vMax, v)
 *   p     = p - (lr / (1 - beta1^t)) * m / (sqrt(vMax) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * <p>{@code m}, {@code v} and {@code vMax} start at 0 and live in the manager given at
 * construction; they die with it. The weight decay is PyTorch Adam's L2 term added to the gradient
 * (not AdamW's decoupled decay). I-BAU's outer optimizer in BackdoorBench is this optimizer with
 * betas (0.9, 0.999), eps 1e-8 and weight decay 0, see {@link #backdoorBench}.
 *
 * <p>Not thread-safe; one instance per tuning run.
 */
public final class AmsgradAdam implements TuningOptimizer {

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final NDManager stateManager;
    private final Map<String, State> states = new HashMap<>();

    /**
     * Creates the optimizer.
     *
     * @param beta1 decay of the first-moment average, in {@code [0, 1)}
     * @param beta2 decay of the second-moment average, in {@code [0, 1)}
     * @param epsilon added to the denominator, finite and {@code > 0}
     * @param weightDecay L2 factor added to the gradient, finite and {@code >= 0}
     * @param stateManager owner of the moment buffers
     * @throws IllegalArgumentException if a value is out of range
     */
    public AmsgradAdam(
            double beta1,
            double beta2,
            double epsilon,
            double weightDecay,
            NDManager stateManager) {
        Preconditions.checkArgument(
                beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1) but was %s", (Object) beta1);
        Preconditions.checkArgument(
                beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1) but was %s", (Object) beta2);
        Preconditions.checkArgument(
                Double.isFinite(epsilon) && epsilon > 0,
                "epsilon must be a finite number > 0 but was %s",
                (Object) epsilon);
        Preconditions.checkArgument(
                Double.isFinite(weightDecay) && weightDecay >= 0,
                "weightDecay must be a finite number >= 0 but was %s",
                (Object) weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.stateManager = stateManager;
    }

    /**
     * Returns BackdoorBench's I-BAU outer optimizer: betas (0.9, 0.999), eps 1e-8, weight decay as
     * given (BackdoorBench uses 0).
     *
     * @param weightDecay L2 factor, finite and {@code >= 0}
     * @param stateManager owner of the moment buffers
     * @return the optimizer
     */
    public static AmsgradAdam backdoorBench(double weightDecay, NDManager stateManager) {
        return new AmsgradAdam(0.9, 0.999, 1e-8, weightDecay, stateManager);
    }

    /**
     * Returns the factory of I-BAU's optimizer, {@link #backdoorBench} with the configured weight
     * decay.
     *
     * @return the factory, recorded as {@code AMSGrad (betas 0.9, 0.999, eps 1e-8)}
     */
    public static TuningOptimizer.Factory factory() {
        return TuningOptimizer.named("AMSGrad (betas 0.9, 0.999, eps 1e-8)",
                (config, manager) -> backdoorBench(config.weightDecay(), manager));
    }

    /**
     * Updates one array in place, with the moment buffers stored under {@code key}; the array's own
     * gradient is neither read nor touched.
     *
     * @param key a name unique to the array within this optimizer
     * @param weight the array to update in place
     * @param gradient its gradient, same shape; not modified
     * @param learningRate the step size, {@code > 0}
     */
    @Override
    public void update(String key, NDArray weight, NDArray gradient, double learningRate) {
        State state = states.computeIfAbsent(key, k -> new State(weight, stateManager));
        state.steps++;
        try (NDManager scope = stateManager.newSubManager()) {
            NDArray direction = gradient;
            if (weightDecay != 0) {
                NDArray decay = weight.mul((float) weightDecay);
                decay.attach(scope);
                direction = decay.add(gradient);
            }
            NDArray scaledGradient = direction.mul((float) (1 - beta1));
            scaledGradient.attach(scope);
            state.firstMoment.muli((float) beta1).addi(scaledGradient);
            NDArray squared = direction.square();
            squared.attach(scope);
            state.secondMoment.muli((float) beta2).addi(squared.muli((float) (1 - beta2)));
            NDArray larger = state.maxSecondMoment.maximum(state.secondMoment);
            larger.attach(scope);
            state.maxSecondMoment.set(new ai.djl.ndarray.index.NDIndex("..."), larger);
            double correction1 = 1 - Math.pow(beta1, state.steps);
            double correction2 = Math.sqrt(1 - Math.pow(beta2, state.steps));
            NDArray denominator = state.maxSecondMoment.sqrt();
            denominator.attach(scope);
            denominator.divi((float) correction2).addi((float) epsilon);
            NDArray step = state.firstMoment.div(denominator);
            step.attach(scope);
            weight.subi(step.muli((float) (learningRate / correction1)));
        }
    }

    /**
     * Returns how many updates the array under {@code key} has received.
     *
     * @param key the array's key
     * @return the step count, 0 if never updated
     */
    public int steps(String key) {
        State state = states.get(key);
        return state == null ? 0 : state.steps;
    }

    /** The moment buffers of one array. */
    private static final class State {
        private final NDArray firstMoment;
        private final NDArray secondMoment;
        private final NDArray maxSecondMoment;
        private int steps;

        State(NDArray like, NDManager manager) {
            firstMoment = manager.zeros(like.getShape(), like.getDataType());
            secondMoment = manager.zeros(like.getShape(), like.getDataType());
            maxSecondMoment = manager.zeros(like.getShape(), like.getDataType());
        }
    }
}
