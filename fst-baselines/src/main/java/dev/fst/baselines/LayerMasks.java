package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One mask value per channel of each of a set of BatchNorm layers, starting at 1, optimised by the
 * loop's optimizer as {@link #parameters()} of the method's own and kept within per-layer bounds
 * ({@link #clamp}, after each step); {@link #apply} writes {@code gamma = gamma0 * m} (and the
 * original shift) into the model. The values live in the run's manager. Not thread-safe.
 */
final class LayerMasks {

    private final BatchNormLayers layers;
    private final List<NDArray> values = new ArrayList<>();
    private final List<Parameter> parameters = new ArrayList<>();

    private LayerMasks(BatchNormLayers layers, NDManager manager) {
        this.layers = layers;
        for (int i = 0; i < layers.size(); i++) {
            NDArray gamma0 = layers.originalScale(i);
            NDArray mask = manager.ones(gamma0.getShape(), gamma0.getDataType());
            values.add(mask);
            parameters.add(Parameter.builder()
                    .setName("mask:" + layers.layer(i).name())
                    .setType(Parameter.Type.OTHER)
                    .optRequiresGrad(false)
                    .optArray(mask)
                    .build());
        }
    }

    /**
     * Creates masks of 1 for every channel of the layers.
     *
     * @param layers the masked layers
     * @param manager owner of the mask arrays, alive for the run
     * @return the masks
     */
    static LayerMasks ones(BatchNormLayers layers, NDManager manager) {
        return new LayerMasks(layers, manager);
    }

    /** Returns the mask array of layer {@code i}; live, do not modify. */
    NDArray get(int i) {
        return values.get(i);
    }

    /**
     * Returns the masks as parameters for the loop's optimizer, one per layer, named {@code
     * mask:LAYER}; they record no gradient (their gradients are computed from the layers' scale
     * gradients and handed to the optimizer explicitly).
     *
     * @return the parameters, in layer order
     */
    List<Parameter> parameters() {
        return parameters;
    }

    /**
     * Pairs each layer's mask parameter with its gradient, for {@link
     * dev.fst.tuning.StepResult#gradients()}.
     *
     * @param gradients the masks' gradients, in layer order
     * @return the gradients by parameter, in layer order
     */
    Map<Parameter, NDArray> gradients(List<NDArray> gradients) {
        Map<Parameter, NDArray> map = new LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            map.put(parameters.get(i), gradients.get(i));
        }
        return map;
    }

    /**
     * Clamps the mask of layer {@code i} to {@code [lower[i], 1]}, the projection after each
     * optimizer step.
     *
     * @param lower the lower bound of each layer, in layer order
     * @param scope manager of the temporaries
     */
    void clamp(double[] lower, NDManager scope) {
        for (int i = 0; i < values.size(); i++) {
            NDArray mask = values.get(i);
            NDArray clamped = mask.clip(lower[i], 1.0);
            clamped.attach(scope);
            mask.set(new NDIndex("..."), clamped);
        }
    }

    /**
     * Sets every layer to {@code gamma = gamma0 * m}, {@code beta = beta0}.
     *
     * @param scope manager of the temporaries
     */
    void apply(NDManager scope) {
        for (int i = 0; i < values.size(); i++) {
            layers.set(i, values.get(i), null, scope);
        }
    }

    /**
     * Returns the values of layer {@code i} on the host.
     *
     * @param i the layer
     * @return one value per channel
     */
    float[] host(int i) {
        return values.get(i).toFloatArray();
    }

    /**
     * Returns the current values as a result value, by layer name.
     *
     * @return the masks
     */
    ChannelMasks snapshot() {
        Map<String, float[]> map = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            map.put(layers.layer(i).name(), host(i));
        }
        return new ChannelMasks(map);
    }
}
