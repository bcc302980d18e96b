package dev.fst.head;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import com.google.common.base.Preconditions;
import java.util.Objects;

/**
 * One linear layer of a classifier head: its weight of shape (out, in), its optional bias of shape
 * (out), and the name that identifies it in the model.
 *
 * <p>Names are parameter-name prefixes: {@code fc} or {@code classifier.6} in a TorchScript model
 * (its parameters are {@code fc.weight}, {@code fc.bias}), and block paths such as {@code 02Linear}
 * or {@code 02SequentialBlock_05Linear} in a DJL block (its parameters are {@code
 * 02Linear_weight}, ...). The layer refers to the model's live parameters; it does not copy them.
 */
public final class HeadLayer {

    private final String name;
    private final Parameter weight;
    private final Parameter bias;
    private final long inFeatures;
    private final long outFeatures;

    /**
     * Creates a head layer.
     *
     * @param name the layer's name in the model
     * @param weight the weight parameter, initialised, of shape (out, in)
     * @param bias the bias parameter of shape (out), or {@code null} when the layer has none
     * @throws IllegalArgumentException if the weight is not a matrix or the bias does not match
     */
    public HeadLayer(String name, Parameter weight, Parameter bias) {
        this.name = Objects.requireNonNull(name, "name");
        this.weight = Objects.requireNonNull(weight, "weight");
        this.bias = bias;
        NDArray w = weight.getArray();
        Preconditions.checkArgument(
                w.getShape().dimension() == 2,
                "head layer %s must have a weight of shape (out, in) but has %s",
                name,
                w.getShape());
        this.outFeatures = w.getShape().get(0);
        this.inFeatures = w.getShape().get(1);
        if (bias != null) {
            Preconditions.checkArgument(
                    bias.getArray().getShape().size() == outFeatures,
                    "head layer %s has a weight for %s outputs but a bias of shape %s",
                    name,
                    outFeatures,
                    bias.getArray().getShape());
        }
    }

    /**
     * Returns the layer's name in the model.
     *
     * @return a parameter-name prefix such as {@code fc} or {@code 02Linear}
     */
    public String name() {
        return name;
    }

    /**
     * Returns the weight parameter.
     *
     * @return the live parameter, shape (out, in)
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * Returns the bias parameter.
     *
     * @return the live parameter, or {@code null} if the layer has no bias
     */
    public Parameter bias() {
        return bias;
    }

    /**
     * Returns the number of input features, the fan-in.
     *
     * @return the weight's second dimension
     */
    public long inFeatures() {
        return inFeatures;
    }

    /**
     * Returns the number of outputs.
     *
     * @return the weight's first dimension
     */
    public long outFeatures() {
        return outFeatures;
    }

    @Override
    public String toString() {
        return name + " (" + outFeatures + "x" + inFeatures + (bias == null ? ", no bias)" : ")");
    }
}
