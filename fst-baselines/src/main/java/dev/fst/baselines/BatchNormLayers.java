package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.nn.SymbolBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.util.Pair;
import dev.fst.internal.EngineAdapter;
import dev.fst.optim.TorchSgd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The BatchNorm layers of a model, with copies of their original scales {@code gamma0} and shifts
 * {@code beta0}, for methods that mask channels (ANP, NFT) by rewriting the live {@code gamma} and
 * {@code beta} arrays in place before a forward pass instead of replacing blocks.
 *
 * <p>In a DJL block tree the layers are the {@link BatchNorm} blocks, in forward order, with their
 * running statistics. A TorchScript module exposes only flat parameter names (DJL does not expose
 * its buffers, so the running statistics are out of reach); there a layer is a parameter group
 * {@code P.weight}, {@code P.bias} and nothing else, whose two parameters are vectors of the same
 * length: a per-channel affine normalisation, as head detection recognises Linear layers by their
 * matrix weights. LayerNorm over one dimension and GroupNorm with affine parameters match that
 * pattern too, and are treated as BatchNorm layers. The order is the module's parameter order
 * (the order the layers were registered in), which is the forward order of most models.
 *
 * <p>With {@code gamma = gamma0 * a} the chain rule gives {@code dL/da = dL/dgamma * gamma0}
 * ({@link #scaleGradient}), and with {@code beta = beta0 * b} it gives {@code dL/db = dL/dbeta *
 * beta0} ({@link #shiftGradient}); the gradients {@code dL/dgamma}, {@code dL/dbeta} are the ones a
 * backward pass leaves on the parameters when they are trainable. Never rewrite the arrays while a
 * gradient recording that used them is still open.
 *
 * <p>The copies live in the manager given to {@link #capture} and die with it. Not thread-safe.
 */
final class BatchNormLayers {

    /**
     * One BatchNorm block of the model.
     *
     * @param name the layer's path, the prefix of its parameter names (for example {@code
     *     01SequentialBlock_02BatchNorm})
     * @param gamma the per-channel scale
     * @param beta the per-channel shift
     * @param runningMean the running mean (not trainable), or {@code null} for a TorchScript layer
     * @param runningVar the running variance (not trainable), or {@code null} for a TorchScript
     *     layer
     */
    record Layer(
            String name, Parameter gamma, Parameter beta, Parameter runningMean, Parameter runningVar) {

        /** Returns the number of channels. */
        int channels() {
            return (int) gamma.getArray().size();
        }
    }

    private final List<Layer> layers;
    private final List<NDArray> gamma0 = new ArrayList<>();
    private final List<NDArray> beta0 = new ArrayList<>();
    private final List<NDArray> mean0 = new ArrayList<>();
    private final List<NDArray> var0 = new ArrayList<>();

    private BatchNormLayers(List<Layer> layers, NDManager manager) {
        this.layers = List.copyOf(layers);
        for (Layer layer : layers) {
            gamma0.add(copy(layer.gamma(), manager));
            beta0.add(copy(layer.beta(), manager));
            mean0.add(copy(layer.runningMean(), manager));
            var0.add(copy(layer.runningVar(), manager));
        }
    }

    private static NDArray copy(Parameter parameter, NDManager manager) {
        if (parameter == null) {
            return null;
        }
        NDArray copy = parameter.getArray().duplicate();
        copy.attach(manager);
        return copy;
    }

    /**
     * Finds the usable BatchNorm layers of a model: in a DJL block tree the initialised BatchNorm
     * blocks with one scale and one shift per channel, in forward order, walking the tree
     * depth-first through {@link Block#getChildren()}; in a TorchScript module ({@link
     * SymbolBlock}) the parameter groups described in the class documentation, in parameter order.
     *
     * @param root the model's root block
     * @return the layers, possibly empty
     */
    static List<Layer> find(Block root) {
        if (root instanceof SymbolBlock) {
            return symbolic(root);
        }
        List<Layer> found = new ArrayList<>();
        collect("", root, found);
        return found;
    }

    /** The {@code P.weight}, {@code P.bias} pairs of equal-length vectors, named {@code P}. */
    private static List<Layer> symbolic(Block root) {
        Map<String, Map<String, Parameter>> groups = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : root.getParameters()) {
            String key = pair.getKey();
            int dot = key.lastIndexOf('.');
            String prefix = dot < 0 ? "" : key.substring(0, dot);
            groups.computeIfAbsent(prefix, k -> new LinkedHashMap<>())
                    .put(key.substring(dot + 1), pair.getValue());
        }
        List<Layer> found = new ArrayList<>();
        for (Map.Entry<String, Map<String, Parameter>> group : groups.entrySet()) {
            Map<String, Parameter> leaves = group.getValue();
            Parameter weight = leaves.get("weight");
            Parameter bias = leaves.get("bias");
            if (leaves.size() == 2 && usable(weight) && usable(bias)
                    && weight.getArray().size() == bias.getArray().size()
                    && weight.getArray().size() > 0) {
                found.add(new Layer(group.getKey(), weight, bias, null, null));
            }
        }
        return found;
    }

    private static void collect(String path, Block block, List<Layer> found) {
        if (block instanceof BatchNorm) {
            ParameterList parameters = block.getDirectParameters();
            Parameter gamma = parameters.get("gamma");
            Parameter beta = parameters.get("beta");
            Parameter mean = parameters.get("runningMean");
            Parameter var = parameters.get("runningVar");
            if (usable(gamma) && usable(beta) && usable(mean) && usable(var)
                    && gamma.getArray().size() == beta.getArray().size()) {
                found.add(new Layer(path, gamma, beta, mean, var));
            }
            return;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            String name = path.isEmpty() ? child.getKey() : path + "_" + child.getKey();
            collect(name, child.getValue(), found);
        }
    }

    private static boolean usable(Parameter parameter) {
        return parameter != null
                && parameter.isInitialized()
                && parameter.getArray().getShape().dimension() == 1;
    }

    /**
     * Records the current scales, shifts and running statistics of the given layers.
     *
     * @param layers layers from {@link #find}
     * @param manager owner of the copies, alive as long as this object is used
     * @return the layers with their original values
     */
    static BatchNormLayers capture(List<Layer> layers, NDManager manager) {
        return new BatchNormLayers(layers, manager);
    }

    /** Returns the number of layers. */
    int size() {
        return layers.size();
    }

    /** Returns layer {@code i}. */
    Layer layer(int i) {
        return layers.get(i);
    }

    /** Returns the original scale of layer {@code i}; do not modify it. */
    NDArray originalScale(int i) {
        return gamma0.get(i);
    }

    /** Returns every layer's scale parameter, in layer order. */
    List<Parameter> scales() {
        return layers.stream().map(Layer::gamma).toList();
    }

    /** Returns every layer's shift parameter, in layer order. */
    List<Parameter> shifts() {
        return layers.stream().map(Layer::beta).toList();
    }

    /**
     * Sets layer {@code i} to {@code gamma = gamma0 * scaleFactor} and {@code beta = beta0 *
     * shiftFactor} (or {@code beta0} when {@code shiftFactor} is null), in place.
     *
     * @param i the layer
     * @param scaleFactor per-channel factor, shape (channels)
     * @param shiftFactor per-channel factor, or {@code null} for the original shift
     * @param scope manager of the temporaries, closed by the caller
     */
    void set(int i, NDArray scaleFactor, NDArray shiftFactor, NDManager scope) {
        Layer layer = layers.get(i);
        NDArray scale = gamma0.get(i).mul(scaleFactor);
        scale.attach(scope);
        layer.gamma().getArray().set(new NDIndex("..."), scale);
        if (shiftFactor == null) {
            layer.beta().getArray().set(new NDIndex("..."), beta0.get(i));
        } else {
            NDArray shift = beta0.get(i).mul(shiftFactor);
            shift.attach(scope);
            layer.beta().getArray().set(new NDIndex("..."), shift);
        }
    }

    /**
     * Puts every layer's scale and shift back to the recorded originals, and its running
     * statistics too when asked and known (not for TorchScript layers).
     *
     * @param runningStatistics whether to restore the running mean and variance
     */
    void restore(boolean runningStatistics) {
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            layer.gamma().getArray().set(new NDIndex("..."), gamma0.get(i));
            layer.beta().getArray().set(new NDIndex("..."), beta0.get(i));
            if (runningStatistics && layer.runningMean() != null) {
                layer.runningMean().getArray().set(new NDIndex("..."), mean0.get(i));
                layer.runningVar().getArray().set(new NDIndex("..."), var0.get(i));
            }
        }
    }

    /**
     * Returns {@code dL/dgamma * gamma0} of layer {@code i}: the gradient with respect to a factor
     * {@code a} of {@code gamma = gamma0 * a}. Zeros when the last backward pass left no gradient.
     *
     * @param i the layer
     * @param scope owner of the result
     * @return shape (channels)
     */
    NDArray scaleGradient(int i, NDManager scope) {
        return factorGradient(layers.get(i).gamma(), gamma0.get(i), scope);
    }

    /**
     * Returns {@code dL/dbeta * beta0} of layer {@code i}: the gradient with respect to a factor
     * {@code b} of {@code beta = beta0 * b}. Zeros when the last backward pass left no gradient.
     *
     * @param i the layer
     * @param scope owner of the result
     * @return shape (channels)
     */
    NDArray shiftGradient(int i, NDManager scope) {
        return factorGradient(layers.get(i).beta(), beta0.get(i), scope);
    }

    private static NDArray factorGradient(Parameter parameter, NDArray original, NDManager scope) {
        NDArray gradient = EngineAdapter.gradient(parameter.getArray());
        if (gradient == null) {
            return scope.zeros(original.getShape(), original.getDataType());
        }
        gradient.attach(scope);
        return gradient.mul(original);
    }

    /** Zeroes the accumulated gradients of every scale and shift that has one. */
    void zeroGradients() {
        for (Layer layer : layers) {
            TorchSgd.clearGradient(layer.gamma().getArray());
            TorchSgd.clearGradient(layer.beta().getArray());
        }
    }
}
