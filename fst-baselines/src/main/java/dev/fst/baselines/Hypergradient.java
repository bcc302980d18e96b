package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * I-BAU's implicit hypergradient by the fixed-point method (Zeng et al., ICLR 2022, Section 3.2):
 * the gradient of the outer loss with respect to the weights {@code theta}, taking into account
 * that the perturbation {@code delta} is a fixed point of the inner map {@code Phi(delta, theta) =
 * delta - innerRate * grad_delta l_in(delta, theta)}.
 *
 * <p>With {@code g_delta} and {@code g_theta} the outer loss's gradients:
 *
 * <pre>
 *   v = 0
 *   repeat K times:  v' = (dPhi/ddelta)^T v + g_delta = v - innerRate * H_dd v + g_delta
 *                    stop early when |v' - v| &lt; tolerance;  v = v'
 *   hypergradient  = g_theta + (dPhi/dtheta)^T v = g_theta - innerRate * H_td v
 * </pre>
 *
 * <p>where {@code H_dd v} and {@code H_td v} are the products of the inner loss's second
 * derivatives (delta-delta and theta-delta blocks) with {@code v}, supplied by a {@link Curvature}
 * ({@link UnlearningLosses.InnerCurvature} in production; the tests swap in other products).
 * The first iteration needs no product ({@code v = 0} gives {@code v' = g_delta}), so a run makes
 * at most {@code K - 1} delta-only products and one full product at the end.
 */
final class Hypergradient {

    /** The reference's early-stopping tolerance on the change of {@code v}. */
    static final double TOLERANCE = 1e-10;

    private Hypergradient() {}

    /** Products of the inner loss's second derivatives with a perturbation-shaped vector. */
    interface Curvature {
        /**
         * Returns {@code H_dd v} and, when {@code withWeights}, {@code H_td v} (one array per
         * weight); otherwise the weight list may be empty.
         *
         * @param v a vector shaped like {@code delta}
         * @param withWeights whether the weight parts are needed
         * @param scope the manager the returned arrays must belong to
         * @return the products
         */
        Derivatives times(NDArray v, boolean withWeights, NDManager scope);
    }

    /**
     * The hypergradient and how many fixed-point iterations produced it.
     *
     * @param weights one array per weight, in the order of the outer gradients
     * @param iterations the iterations run, between 1 and {@code K}
     */
    record Result(List<NDArray> weights, int iterations) {}

    /**
     * Computes the hypergradient.
     *
     * @param outer the outer loss's gradients with respect to {@code delta} and the weights
     * @param curvature the inner loss's second-derivative products at the current {@code delta}
     *     and weights
     * @param innerRate the step of the inner map {@code Phi}, {@code > 0}
     * @param iterations the number {@code K} of fixed-point iterations, {@code >= 1}
     * @param scope the manager of the returned arrays (and of every temporary)
     * @return the hypergradient, one array per weight
     */
    static Result compute(
            Derivatives outer,
            Curvature curvature,
            double innerRate,
            int iterations,
            NDManager scope) {
        NDArray outerDelta = outer.perturbation();
        NDArray v = outerDelta.duplicate();
        v.attach(scope);
        int run = 1;
        double change = norm(outerDelta);
        while (run < iterations && !(change < TOLERANCE)) {
            try (NDManager step = scope.newSubManager()) {
                Derivatives product = curvature.times(v, false, step);
                NDArray next = product.perturbation().mul((float) -innerRate);
                next.attach(step);
                next.addi(v).addi(outerDelta);
                NDArray difference = next.sub(v);
                change = norm(difference);
                next.attach(scope);
                v.close();
                v = next;
            }
            run++;
        }
        List<NDArray> weights = new ArrayList<>();
        try (NDManager last = scope.newSubManager()) {
            Derivatives product = curvature.times(v, true, last);
            for (int i = 0; i < outer.weights().size(); i++) {
                NDArray gradient = product.weights().get(i).mul((float) -innerRate);
                gradient.attach(scope);
                gradient.addi(outer.weights().get(i));
                weights.add(gradient);
            }
        }
        return new Result(weights, run);
    }

    /** The L2 norm of all values of an array, in double. */
    static double norm(NDArray array) {
        try (NDArray norm = array.norm()) {
            return norm.getFloat();
        }
    }
}
