package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Path-Aware Minimization's weight perturbation (Min et al., NeurIPS 2024): with {@code θ} the
 * current weights of a list of parameters and {@code θ_bd} copies of their values taken by {@link
 * #capture}, {@link #atPerturbedPoint} moves the weights to
 *
 * <pre>  θ̃ = θ + rho · (θ_bd − θ) / ||θ_bd − θ||</pre>
 *
 * <p>(one L2 norm over all the parameters together), runs a pass there, typically a forward and
 * backward pass that leaves gradients on the parameters, and writes {@code θ} back from copies, so
 * the weights afterwards are bit-identical to before while the gradients are those taken at {@code
 * θ̃}. When {@code rho} is 0 or {@code θ = θ_bd} (the norm is 0, as on a run's first step) the
 * pass runs at {@code θ} and nothing is copied.
 *
 * <p>The copies of {@code θ_bd} live in the manager given to {@link #capture}. Not thread-safe.
 */
final class PathPerturbation {

    private final List<Parameter> parameters;
    private final List<NDArray> origins;
    private final double rho;

    private PathPerturbation(List<Parameter> parameters, List<NDArray> origins, double rho) {
        this.parameters = List.copyOf(parameters);
        this.origins = List.copyOf(origins);
        this.rho = rho;
    }

    /**
     * Copies the current values of {@code parameters} as {@code θ_bd}.
     *
     * @param parameters the parameters to perturb, in a fixed order
     * @param rho the perturbation's length, finite and {@code >= 0}
     * @param manager owner of the copies, alive as long as this object is used
     * @return the perturbation
     */
    static PathPerturbation capture(List<Parameter> parameters, double rho, NDManager manager) {
        Preconditions.checkArgument(
                Double.isFinite(rho) && rho >= 0, "rho must be a finite number >= 0 but was %s", rho);
        List<NDArray> origins = new ArrayList<>();
        for (Parameter parameter : parameters) {
            NDArray copy = parameter.getArray().duplicate();
            copy.attach(manager);
            origins.add(copy);
        }
        return new PathPerturbation(parameters, origins, rho);
    }

    /**
     * Runs {@code pass} with the weights at {@code θ̃}, then puts {@code θ} back exactly, also when
     * the pass throws. Call it outside any gradient recording (the pass may open one).
     *
     * @param scope owner of this step's temporaries (closed by the caller after the step)
     * @param pass what to compute at {@code θ̃}
     * @param <T> the pass's result
     * @return what {@code pass} returned
     */
    <T> T atPerturbedPoint(NDManager scope, Supplier<T> pass) {
        if (rho == 0) {
            return pass.get();
        }
        List<NDArray> directions = new ArrayList<>(parameters.size());
        double squared = 0;
        for (int i = 0; i < parameters.size(); i++) {
            NDArray direction = origins.get(i).sub(parameters.get(i).getArray());
            direction.attach(scope);
            directions.add(direction);
            squared += direction.square().sum().getFloat();
        }
        double norm = Math.sqrt(squared);
        if (norm == 0) {
            return pass.get();
        }
        float factor = (float) (rho / norm);
        List<NDArray> saved = new ArrayList<>(parameters.size());
        try {
            for (int i = 0; i < parameters.size(); i++) {
                NDArray weight = parameters.get(i).getArray();
                NDArray copy = weight.duplicate();
                copy.attach(scope);
                saved.add(copy);
                weight.addi(directions.get(i).mul(factor));
            }
            return pass.get();
        } finally {
            for (int i = 0; i < saved.size(); i++) {
                parameters.get(i).getArray().set(new NDIndex("..."), saved.get(i));
            }
        }
    }

    /**
     * Returns the current distance {@code ||θ − θ_bd||} over all the parameters.
     *
     * @param scope owner of the temporaries
     * @return the L2 distance, {@code >= 0}
     */
    double distance(NDManager scope) {
        double squared = 0;
        for (int i = 0; i < parameters.size(); i++) {
            NDArray direction = origins.get(i).sub(parameters.get(i).getArray());
            direction.attach(scope);
            squared += direction.square().sum().getFloat();
        }
        return Math.sqrt(squared);
    }
}
