package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.SymbolBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.fst.head.HeadLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * The model's forward pass run block by block down a chain of {@link SequentialBlock}s to one
 * {@link Linear} layer, so that the input of that layer can be kept: K-FAC needs the activations
 * that enter the preconditioned layer, and DJL blocks have no forward hooks.
 *
 * <p>The Linear must be reachable from the root through SequentialBlocks only (none of them
 * returning intermediate results), and it must be the last block of each of them, so that its
 * output is the model's output. Blocks off that chain are forwarded whole, exactly as {@link
 * SequentialBlock} would; the logits are therefore those of {@code root.forward}. Immutable.
 */
final class CapturingForward {

    private final List<Block> chain;

    private CapturingForward(List<Block> chain) {
        this.chain = chain;
    }

    /**
     * What one capturing forward pass returns.
     *
     * @param logits the model's output, as {@code root.forward} returns it
     * @param input the input of the Linear layer, part of the recorded graph
     */
    record Capture(NDArray logits, NDArray input) {}

    /**
     * Finds the chain of blocks from {@code root} to the Linear whose weight parameter is {@code
     * layer.weight()}.
     *
     * @param root the model's root block
     * @param layer the layer to capture the input of
     * @return the capturing forward pass
     * @throws IllegalArgumentException if the layer is not a Linear of the model, or cannot be
     *     reached through a chain of SequentialBlocks of which it is the last block
     */
    static CapturingForward locate(Block root, HeadLayer layer) {
        String why =
                "NGF preconditions the head's last layer "
                        + layer.name()
                        + " and reads its input by running the model block by block, which needs"
                        + " a chain of SequentialBlocks from the root to that Linear, each ending"
                        + " with the next one (so that the Linear produces the logits)";
        if (root instanceof SymbolBlock) {
            throw new IllegalArgumentException(
                    why + "; a TorchScript model (" + root.getClass().getSimpleName()
                            + ") exposes no blocks");
        }
        List<Block> chain = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (!find(root, layer, "<root>", chain, names)) {
            throw new IllegalArgumentException(
                    why + "; but no Linear block of the model holds that layer's weight");
        }
        for (int i = 0; i < chain.size() - 1; i++) {
            Block block = chain.get(i);
            if (!(block instanceof SequentialBlock)) {
                throw new IllegalArgumentException(
                        why + "; but " + names.get(i) + " on the way is a "
                                + block.getClass().getSimpleName());
            }
            if (((SequentialBlock) block).isReturnIntermediate()) {
                throw new IllegalArgumentException(
                        why + "; but " + names.get(i) + " returns its intermediate results");
            }
            ai.djl.nn.BlockList children = block.getChildren();
            Pair<String, Block> last = children.get(children.size() - 1);
            if (last.getValue() != chain.get(i + 1)) {
                throw new IllegalArgumentException(
                        why + "; but in " + names.get(i) + " the block " + names.get(i + 1)
                                + " is followed by " + last.getKey());
            }
        }
        return new CapturingForward(List.copyOf(chain));
    }

    private static boolean find(
            Block block, HeadLayer layer, String name, List<Block> chain, List<String> names) {
        chain.add(block);
        names.add(name);
        if (block instanceof Linear && block.getParameters().get("weight") == layer.weight()) {
            return true;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            String childName = name.equals("<root>") ? child.getKey() : name + "_" + child.getKey();
            if (find(child.getValue(), layer, childName, chain, names)) {
                return true;
            }
        }
        chain.remove(chain.size() - 1);
        names.remove(names.size() - 1);
        return false;
    }

    /**
     * Runs the model and keeps the Linear's input.
     *
     * @param store the parameter store to forward with
     * @param images the model's input
     * @param training {@code true} for training mode, as in {@code Block.forward}
     * @return the logits and the Linear's input
     */
    Capture forward(ParameterStore store, NDArray images, boolean training) {
        NDArray[] input = new NDArray[1];
        NDList logits = run(0, new NDList(images), store, training, input);
        return new Capture(logits.singletonOrThrow(), input[0]);
    }

    private NDList run(
            int depth, NDList inputs, ParameterStore store, boolean training, NDArray[] input) {
        Block block = chain.get(depth);
        if (depth == chain.size() - 1) {
            input[0] = inputs.singletonOrThrow();
            return block.forward(store, inputs, training);
        }
        Block next = chain.get(depth + 1);
        NDList current = inputs;
        for (Pair<String, Block> child : block.getChildren()) {
            Block value = child.getValue();
            current =
                    value == next
                            ? run(depth + 1, current, store, training, input)
                            : value.forward(store, current, training);
        }
        return current;
    }
}
