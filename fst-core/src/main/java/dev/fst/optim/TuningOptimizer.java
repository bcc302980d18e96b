package dev.fst.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.fst.internal.EngineAdapter;
import dev.fst.tuning.TuningConfig;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The update rule of a run, a strategy of {@link TuningConfig#optimizer()}: one instance per run,
 * made by a {@link Factory}, holding that run's state (momentum buffers, moments). The shared
 * default is {@link TorchSgd}, SGD with PyTorch's momentum semantics ({@link #sgd()}).
 *
 * <p>Not thread-safe; the loop calls it from the tuning thread only.
 */
public interface TuningOptimizer {

    /**
     * Updates every parameter in place from the gradient its backward pass recorded, with {@link
     * #update} under the parameter's id, then zeroes that gradient. Parameters without a recorded
     * gradient (not reached by this step's backward pass) are left unchanged, as PyTorch skips them.
     *
     * @param parameters the parameters to update
     * @param learningRate the step size of this step, {@code > 0}
     */
    default void step(List<Parameter> parameters, double learningRate) {
        for (Parameter parameter : parameters) {
            NDArray weight = parameter.getArray();
            NDArray gradient = EngineAdapter.gradient(weight);
            if (gradient == null) {
                continue;
            }
            try (gradient) {
                update(parameter.getId(), weight, gradient, learningRate);
            }
            EngineAdapter.zeroGradient(weight);
        }
    }

    /**
     * Updates one array in place from a given gradient, with its state stored under {@code key};
     * the array's own recorded gradient is not touched.
     *
     * @param key a name unique to the array within this optimizer
     * @param weight the array to update in place
     * @param gradient its gradient, same shape; not modified
     * @param learningRate the step size of this step, {@code > 0}
     */
    void update(String key, NDArray weight, NDArray gradient, double learningRate);

    /**
     * Makes the optimizer of one run. Implementations are immutable; their {@code toString} is
     * recorded in the run's configuration.
     */
    interface Factory {
        /**
         * Creates the optimizer of one run.
         *
         * @param config the run's shared options (momentum, weight decay, ...)
         * @param manager owner of the optimizer's state, closed when the run ends
         * @return a new optimizer
         */
        TuningOptimizer create(TuningConfig config, NDManager manager);
    }

    /**
     * Returns the default: {@link TorchSgd} with the configuration's momentum and weight decay.
     *
     * @return the factory
     */
    static Factory sgd() {
        return named("SGD (PyTorch semantics)",
                (config, manager) -> new TorchSgd(config.momentum(), config.weightDecay(), manager));
    }

    /**
     * Returns a factory with a name for the record.
     *
     * @param name what the run's configuration records, for example {@code "AMSGrad"}
     * @param create makes the optimizer of a run
     * @return the factory; equal to another with the same name
     */
    static Factory named(String name, BiFunction<TuningConfig, NDManager, TuningOptimizer> create) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(create, "create");
        return new Factory() {
            @Override
            public TuningOptimizer create(TuningConfig config, NDManager manager) {
                return create.apply(config, manager);
            }

            @Override
            public boolean equals(Object other) {
                return other instanceof Factory && other.toString().equals(name);
            }

            @Override
            public int hashCode() {
                return name.hashCode();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
