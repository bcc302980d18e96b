package dev.fst.head;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Chooses the classifier head of a model: the linear layers that FST re-initialises, penalises
 * against their original weights and projects back to their original norms.
 *
 * <p>Three ways to choose, all returning a {@link ClassifierHead} or throwing an {@link
 * IllegalArgumentException} that lists what the model holds:
 *
 * <ul>
 *   <li>{@link #auto()} (the default of every tuner) finds the head itself. In a DJL block it takes
 *       the run of {@link Linear} layers at the end of the model's sequential structure, stepping
 *       over parameter-free blocks (activations, dropout, pooling, flatten) between them: a
 *       ResNet-18 ending in one Linear gives one layer, a VGG19-BN ending in
 *       Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear gives all three. In a TorchScript model it
 *       takes the matrix-weight layers named {@code fc}, {@code linear}, {@code head}, {@code heads}
 *       or {@code classifier} (as any dot-separated part of the name, so {@code classifier.0},
 *       {@code classifier.3} and {@code classifier.6} together); with no such name, the run of
 *       matrix-weight layers that ends the parameter list ("found by shape").
 *   <li>{@link #named(String...)} takes the layers with the given names or under the given name
 *       prefixes.
 *   <li>{@link #of(Block...)} takes the given {@link Linear} blocks of a DJL model.
 * </ul>
 *
 * <p>The chosen layers must chain (each one's inputs are the previous one's outputs).
 * Implementations are immutable.
 */
public interface HeadSelector {

    /**
     * Finds the head of the model whose root block is {@code block}.
     *
     * @param block the model's root block, initialised
     * @return the head
     * @throws IllegalArgumentException if no head is found or the choice is ambiguous; the message
     *     lists the layers seen
     */
    ClassifierHead select(Block block);

    /**
     * Detects the head automatically; see the class documentation for the rules.
     *
     * @return the automatic selector
     */
    static HeadSelector auto() {
        return AutoSelector.INSTANCE;
    }

    /**
     * Selects the linear layers with the given names, or under the given name prefixes, in the
     * model's order. A name matches a layer when it equals the layer's name or is a prefix of it
     * followed by the separator ({@code .} in TorchScript, {@code _} in DJL). Examples: {@code
     * named("fc")}, {@code named("classifier")} (all of {@code classifier.0/.3/.6}), {@code
     * named("02Linear")}, {@code named("02SequentialBlock")}. A trailing {@code .weight} or {@code
     * _weight} is ignored, so parameter names work too.
     *
     * @param names one or more names; none blank
     * @return the selector
     * @throws IllegalArgumentException if no name is given or one is blank
     */
    static HeadSelector named(String... names) {
        Preconditions.checkArgument(
                names != null && names.length > 0, "head names must not be empty");
        for (String name : names) {
            Preconditions.checkArgument(
                    name != null && !name.isBlank(), "head names must not be blank but were %s",
                    Arrays.toString(names));
        }
        return new NamedSelector(ImmutableList.copyOf(names));
    }

    /**
     * Selects the given {@link Linear} blocks of a DJL model, in the order given.
     *
     * @param linears one or more Linear blocks that are part of the model
     * @return the selector
     * @throws IllegalArgumentException if none is given or one is not a {@link Linear}
     */
    static HeadSelector of(Block... linears) {
        Preconditions.checkArgument(
                linears != null && linears.length > 0, "head blocks must not be empty");
        for (Block block : linears) {
            Preconditions.checkArgument(
                    block instanceof Linear,
                    "head blocks must be Linear blocks but one was %s",
                    block == null ? "null" : block.getClass().getSimpleName());
        }
        return new BlockSelector(ImmutableList.copyOf(linears));
    }

    /** The automatic rules of {@link HeadSelector#auto()}. */
    final class AutoSelector implements HeadSelector {
        static final AutoSelector INSTANCE = new AutoSelector();

        private AutoSelector() {}

        @Override
        public ClassifierHead select(Block block) {
            LayerCatalog catalog = LayerCatalog.of(block);
            List<HeadLayer> layers =
                    catalog.isSymbolic() ? symbolicHead(catalog) : nativeHead(catalog);
            return chained(layers, catalog);
        }

        private static List<HeadLayer> nativeHead(LayerCatalog catalog) {
            List<HeadLayer> head = new ArrayList<>();
            List<Pair<String, Block>> tail = catalog.tail();
            for (int i = tail.size() - 1; i >= 0; i--) {
                Block block = tail.get(i).getValue();
                if (block instanceof Linear) {
                    head.add(0, catalog.layerOf(block));
                } else if (!block.getParameters().isEmpty()) {
                    break;
                }
            }
            if (!head.isEmpty()) {
                return head;
            }
            if (catalog.linears().size() == 1) {
                return catalog.linears();
            }
            String why =
                    catalog.linears().isEmpty()
                            ? "no head found: the model has no Linear layer"
                            : "no head found: the model does not end in Linear layers and has "
                                    + catalog.linears().size()
                                    + " elsewhere, so which form the head is ambiguous";
            throw new IllegalArgumentException(
                    why + "; " + catalog.describe() + ". Name the head with head(HeadSelector.named(...))");
        }

        private static List<HeadLayer> symbolicHead(LayerCatalog catalog) {
            List<HeadLayer> byName =
                    catalog.linears().stream()
                            .filter(AutoSelector::hasHeadName)
                            .collect(Collectors.toList());
            if (!byName.isEmpty()) {
                return byName;
            }
            List<HeadLayer> trailing = catalog.trailingLinears();
            if (trailing.isEmpty()) {
                throw new IllegalArgumentException(
                        "no head found: no layer is named "
                                + LayerCatalog.HEAD_NAMES
                                + " and the model's last parameters are not a Linear weight; "
                                + catalog.describe()
                                + ". Name the head with head(HeadSelector.named(...))");
            }
            return trailing;
        }

        private static boolean hasHeadName(HeadLayer layer) {
            for (String part : layer.name().split("\\.")) {
                if (LayerCatalog.HEAD_NAMES.contains(part)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "auto";
        }
    }

    /** The selector of {@link HeadSelector#named(String...)}. */
    final class NamedSelector implements HeadSelector {
        private final ImmutableList<String> names;

        NamedSelector(ImmutableList<String> names) {
            this.names = names;
        }

        @Override
        public ClassifierHead select(Block block) {
            LayerCatalog catalog = LayerCatalog.of(block);
            char sep = catalog.separator();
            List<HeadLayer> chosen = new ArrayList<>();
            for (String raw : names) {
                String name = stripWeight(raw, sep);
                List<HeadLayer> matches =
                        catalog.linears().stream()
                                .filter(l -> l.name().equals(name) || l.name().startsWith(name + sep))
                                .collect(Collectors.toList());
                if (matches.isEmpty()) {
                    throw new IllegalArgumentException(
                            "no head found: no Linear layer is named '"
                                    + raw
                                    + "'; candidates: "
                                    + catalog.linears().stream()
                                            .map(HeadLayer::toString)
                                            .collect(Collectors.toList())
                                    + "; "
                                    + catalog.describe());
                }
                for (HeadLayer match : matches) {
                    if (!chosen.contains(match)) {
                        chosen.add(match);
                    }
                }
            }
            List<HeadLayer> ordered =
                    catalog.linears().stream().filter(chosen::contains).collect(Collectors.toList());
            return chained(ordered, catalog);
        }

        private static String stripWeight(String name, char sep) {
            String suffix = sep + "weight";
            return name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : name;
        }

        @Override
        public String toString() {
            return "named" + names;
        }
    }

    /** The selector of {@link HeadSelector#of(Block...)}. */
    final class BlockSelector implements HeadSelector {
        private final ImmutableList<Block> blocks;

        BlockSelector(ImmutableList<Block> blocks) {
            this.blocks = blocks;
        }

        @Override
        public ClassifierHead select(Block block) {
            LayerCatalog catalog = LayerCatalog.of(block);
            List<HeadLayer> layers = new ArrayList<>();
            for (Block linear : blocks) {
                HeadLayer layer = catalog.layerOf(linear);
                if (layer == null) {
                    throw new IllegalArgumentException(
                            "a head block given to HeadSelector.of(...) is not part of the model; "
                                    + catalog.describe());
                }
                layers.add(layer);
            }
            return chained(layers, catalog);
        }

        @Override
        public String toString() {
            return "blocks" + blocks.size();
        }
    }

    private static ClassifierHead chained(List<HeadLayer> layers, LayerCatalog catalog) {
        try {
            return new ClassifierHead(layers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "ambiguous head: the layers "
                            + layers
                            + " do not form one chain ("
                            + e.getMessage()
                            + "); "
                            + catalog.describe()
                            + ". Name the head with head(HeadSelector.named(...))",
                    e);
        }
    }
}
