package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * ANP's per-channel neuron perturbation of one mini-batch: a relative noise {@code delta} on each
 * BatchNorm mask and {@code xi} on each shift, so that the perturbed layer computes with {@code
 * gamma0 * (m + delta)} and {@code beta0 * (1 + xi)}. The arrays live in the batch's manager.
 */
final class NeuronNoise {

    private final List<NDArray> scaleNoise = new ArrayList<>();
    private final List<NDArray> shiftNoise = new ArrayList<>();
    private final double eps;

    private NeuronNoise(BatchNormLayers layers, double eps, NDManager scope) {
        this.eps = eps;
        for (int i = 0; i < layers.size(); i++) {
            NDArray like = layers.originalScale(i);
            scaleNoise.add(uniform(like, eps, scope));
            shiftNoise.add(uniform(like, eps, scope));
        }
    }

    private static NDArray uniform(NDArray like, double eps, NDManager scope) {
        if (eps == 0) {
            return scope.zeros(like.getShape(), like.getDataType());
        }
        return scope.randomUniform((float) -eps, (float) eps, like.getShape(), like.getDataType());
    }

    /**
     * Draws {@code delta, xi ~ U(-eps, eps)} per channel from the engine's random generator.
     *
     * @param layers the perturbed layers
     * @param eps the budget, {@code >= 0}
     * @param scope owner of the noise arrays
     * @return the noise
     */
    static NeuronNoise uniform(BatchNormLayers layers, double eps, NDManager scope) {
        return new NeuronNoise(layers, eps, scope);
    }

    /**
     * Writes the perturbed scales and shifts into the model.
     *
     * @param layers the layers the noise was drawn for
     * @param masks their current masks
     * @param scope manager of the temporaries
     */
    void apply(BatchNormLayers layers, LayerMasks masks, NDManager scope) {
        for (int i = 0; i < layers.size(); i++) {
            layers.set(i, scaleNoise.get(i).add(masks.get(i)), shiftNoise.get(i).add(1f), scope);
        }
    }

    /**
     * Takes one signed ascent step from the gradients the last backward pass left on the scales
     * and shifts: {@code delta += eps * sign(dL/ddelta)}, {@code xi += eps * sign(dL/dxi)}. Not
     * clipped afterwards, as in the reference. Does not zero the gradients.
     *
     * @param layers the layers the noise was drawn for
     * @param scope manager of the temporaries and the new noise
     */
    void ascend(BatchNormLayers layers, NDManager scope) {
        for (int i = 0; i < layers.size(); i++) {
            NDArray scaleStep = layers.scaleGradient(i, scope).sign().mul((float) eps);
            NDArray shiftStep = layers.shiftGradient(i, scope).sign().mul((float) eps);
            scaleNoise.set(i, scaleNoise.get(i).add(scaleStep));
            shiftNoise.set(i, shiftNoise.get(i).add(shiftStep));
        }
    }
}
