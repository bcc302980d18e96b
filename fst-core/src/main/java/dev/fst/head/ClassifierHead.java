package dev.fst.head;

import ai.djl.nn.Parameter;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The classifier head of a model: one or more linear layers in forward order, the last of which
 * produces the class logits. A ResNet-18 head is one layer; a VGG19-BN head is three, all of which
 * FST re-initialises, penalises and projects (the paper's multi-layer extension).
 *
 * <p>Immutable; refers to the model's live parameters.
 */
public final class ClassifierHead {

    private final ImmutableList<HeadLayer> layers;
    private final Set<String> parameterIds;

    /**
     * Creates a head from its layers.
     *
     * @param layers the layers in forward order; at least one
     * @throws IllegalArgumentException if {@code layers} is empty or consecutive layers do not
     *     chain (a layer's inputs must equal the previous layer's outputs)
     */
    public ClassifierHead(List<HeadLayer> layers) {
        Preconditions.checkArgument(!layers.isEmpty(), "a head needs at least one linear layer");
        for (int i = 1; i < layers.size(); i++) {
            HeadLayer previous = layers.get(i - 1);
            HeadLayer layer = layers.get(i);
            Preconditions.checkArgument(
                    layer.inFeatures() == previous.outFeatures(),
                    "head layers must chain but %s follows %s",
                    layer,
                    previous);
        }
        this.layers = ImmutableList.copyOf(layers);
        Set<String> ids = new HashSet<>();
        for (HeadLayer layer : layers) {
            ids.add(layer.weight().getId());
            if (layer.bias() != null) {
                ids.add(layer.bias().getId());
            }
        }
        this.parameterIds = Set.copyOf(ids);
    }

    /**
     * Returns the head's layers in forward order.
     *
     * @return an immutable list with at least one layer
     */
    public List<HeadLayer> layers() {
        return layers;
    }

    /**
     * Returns the number of classes, the outputs of the last layer.
     *
     * @return the number of logits the model produces
     */
    public int numClasses() {
        return (int) layers.get(layers.size() - 1).outFeatures();
    }

    /**
     * Returns whether a parameter belongs to the head.
     *
     * @param parameter a model parameter
     * @return {@code true} for a head weight or bias
     */
    public boolean contains(Parameter parameter) {
        return parameterIds.contains(parameter.getId());
    }

    /**
     * Returns the layer names in forward order.
     *
     * @return names such as {@code [fc]} or {@code [classifier.0, classifier.3, classifier.6]}
     */
    public List<String> names() {
        return layers.stream().map(HeadLayer::name).collect(ImmutableList.toImmutableList());
    }

    @Override
    public String toString() {
        return layers.stream().map(HeadLayer::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
