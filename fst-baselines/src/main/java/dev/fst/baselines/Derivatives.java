package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Derivatives of an I-BAU loss split by what they are taken with respect to: one array for the
 * universal perturbation {@code delta} and one per trainable weight, in the order of the weights.
 * Used both for gradients and for Hessian-vector products.
 *
 * @param perturbation the part for {@code delta}, shape (1, C, H, W)
 * @param weights the parts for the weights, each shaped like its weight; empty when not asked for
 */
record Derivatives(NDArray perturbation, List<NDArray> weights) {}
