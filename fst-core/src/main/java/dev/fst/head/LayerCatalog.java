package dev.fst.head;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.SymbolBlock;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The layers of a model that a head can be made of, in forward order, together with what a reader
 * of an error message needs to see: the model's trailing blocks or its parameter names.
 *
 * <p>Two kinds of model are understood. A DJL block tree is walked through {@link Block#getChildren()};
 * every {@link Linear} is a candidate, named by its path ({@code 02SequentialBlock_05Linear}). A
 * {@link SymbolBlock} (a TorchScript module) only exposes flat parameter names; every prefix whose
 * {@code weight} is a matrix is a candidate ({@code fc}, {@code classifier.6}).
 */
final class LayerCatalog {

    /** Names that mark a classifier in PyTorch models, as a dot-separated name component. */
    static final List<String> HEAD_NAMES = List.of("fc", "linear", "head", "heads", "classifier");

    private final boolean symbolic;
    private final List<HeadLayer> linears;
    private final List<Object> linearBlocks;
    /** Symbolic models: every parameter prefix in order with its weight shape, for messages. */
    private final List<String> layerDescriptions;
    /** Symbolic models: the matrix-weight layers after the last other parameter group. */
    private final List<HeadLayer> trailingLinears;
    /** DJL models: the sequential tail, last element last, as (path, block). */
    private final List<Pair<String, Block>> tail;

    private LayerCatalog(
            boolean symbolic,
            List<HeadLayer> linears,
            List<Object> linearBlocks,
            List<String> layerDescriptions,
            List<HeadLayer> trailingLinears,
            List<Pair<String, Block>> tail) {
        this.symbolic = symbolic;
        this.linears = linears;
        this.linearBlocks = linearBlocks;
        this.layerDescriptions = layerDescriptions;
        this.trailingLinears = trailingLinears;
        this.tail = tail;
    }

    static LayerCatalog of(Block block) {
        if (block == null) {
            throw new IllegalArgumentException("the model has no block");
        }
        return block instanceof SymbolBlock ? symbolic(block) : native_(block);
    }

    private static LayerCatalog symbolic(Block block) {
        Map<String, Map<String, Parameter>> groups = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            String key = pair.getKey();
            int dot = key.lastIndexOf('.');
            String prefix = dot < 0 ? "" : key.substring(0, dot);
            String leaf = dot < 0 ? key : key.substring(dot + 1);
            groups.computeIfAbsent(prefix, k -> new LinkedHashMap<>()).put(leaf, pair.getValue());
        }
        List<HeadLayer> linears = new ArrayList<>();
        List<String> descriptions = new ArrayList<>();
        List<HeadLayer> trailing = new ArrayList<>();
        for (Map.Entry<String, Map<String, Parameter>> group : groups.entrySet()) {
            Parameter weight = group.getValue().get("weight");
            if (weight == null) {
                descriptions.add(group.getKey() + " " + group.getValue().keySet());
                trailing.clear();
                continue;
            }
            descriptions.add(group.getKey() + " " + weight.getArray().getShape());
            if (weight.getArray().getShape().dimension() == 2) {
                Parameter bias = group.getValue().get("bias");
                HeadLayer layer = new HeadLayer(group.getKey(), weight, bias);
                linears.add(layer);
                trailing.add(layer);
            } else {
                trailing.clear();
            }
        }
        return new LayerCatalog(true, linears, List.of(), descriptions, trailing, List.of());
    }

    private static LayerCatalog native_(Block block) {
        List<HeadLayer> linears = new ArrayList<>();
        List<Object> blocks = new ArrayList<>();
        walk(block, "", linears, blocks);
        List<Pair<String, Block>> tail = new ArrayList<>();
        flatten(block, "", tail);
        return new LayerCatalog(false, linears, blocks, List.of(), List.of(), tail);
    }

    private static void walk(Block block, String path, List<HeadLayer> linears, List<Object> blocks) {
        if (block instanceof Linear) {
            ParameterList params = block.getParameters();
            Parameter weight = params.get("weight");
            if (weight == null || !weight.isInitialized()) {
                throw new IllegalArgumentException(
                        "the model's block is not initialized: Linear "
                                + displayPath(path)
                                + " has no weight yet; call block.initialize(...) or load the"
                                + " model's parameters first");
            }
            linears.add(new HeadLayer(displayPath(path), weight, params.get("bias")));
            blocks.add(block);
            return;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            walk(child.getValue(), join(path, child.getKey()), linears, blocks);
        }
    }

    private static void flatten(Block block, String path, List<Pair<String, Block>> out) {
        if (block instanceof SequentialBlock) {
            for (Pair<String, Block> child : block.getChildren()) {
                flatten(child.getValue(), join(path, child.getKey()), out);
            }
        } else {
            out.add(new Pair<>(displayPath(path), block));
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "_" + name;
    }

    private static String displayPath(String path) {
        return path.isEmpty() ? "<root>" : path;
    }

    boolean isSymbolic() {
        return symbolic;
    }

    char separator() {
        return symbolic ? '.' : '_';
    }

    List<HeadLayer> linears() {
        return linears;
    }

    /** Returns the linear layer built for {@code block}, or null if it is not a Linear of the model. */
    HeadLayer layerOf(Block block) {
        for (int i = 0; i < linearBlocks.size(); i++) {
            if (linearBlocks.get(i) == block) {
                return linears.get(i);
            }
        }
        return null;
    }

    List<Pair<String, Block>> tail() {
        return tail;
    }

    List<HeadLayer> trailingLinears() {
        return trailingLinears;
    }

    /** A one-line account of what the model holds, for error messages. */
    String describe() {
        if (symbolic) {
            return "parameter groups seen: " + abbreviate(layerDescriptions);
        }
        List<String> tailNames =
                tail.stream()
                        .map(p -> p.getKey() + " " + p.getValue().getClass().getSimpleName())
                        .collect(Collectors.toList());
        int from = Math.max(0, tailNames.size() - 8);
        return "Linear layers seen: "
                + linears.stream().map(HeadLayer::name).collect(Collectors.toList())
                + "; the model ends with: "
                + (from > 0 ? "... " : "")
                + tailNames.subList(from, tailNames.size());
    }

    private static String abbreviate(List<String> items) {
        if (items.size() <= 12) {
            return items.toString();
        }
        List<String> shown = new ArrayList<>(items.subList(0, 4));
        shown.add("... " + (items.size() - 10) + " more ...");
        shown.addAll(items.subList(items.size() - 6, items.size()));
        return shown.toString();
    }
}
