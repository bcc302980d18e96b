package dev.fst.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A forward pass that lets go of each layer's output as soon as the next layer has consumed it.
 *
 * <p>DJL attaches every result of an operator to the manager of its input, so a plain {@code
 * block.forward} keeps every intermediate activation of a step alive until the step's manager
 * closes, including those autograd does not need. PyTorch frees such an output when the last
 * reference goes. Here the whole pass, and inside it each child of a {@link SequentialBlock}, runs
 * in its own sub-manager: its output moves to the parent's manager and everything else it created
 * is released, which drops only DJL's handles (autograd keeps what the backward pass needs). A
 * block that is not a {@code SequentialBlock} (a residual unit, a TorchScript module) runs whole,
 * and its internal intermediates are released when it returns. A {@code SequentialBlock} that returns its
 * intermediate results runs as usual.
 *
 * <p>Inference mode ({@code training = false}) means what it means for DJL-native blocks for every
 * block: BatchNorm and dropout switch to evaluation and gradients are still recorded when a
 * gradient collector is open; a TorchScript module therefore runs through {@link
 * EngineAdapter#forward}, because DJL's own inference forward of such a module disables autograd.
 *
 * <p>Assumes, as DJL's own blocks do, that a block keeps no reference to its outputs after
 * returning them.
 */
public final class ReleasingForward {

    private ReleasingForward() {}

    /**
     * Runs {@code block} in a scope of its own: its outputs end in the manager of the first input,
     * the inputs stay where they were, and everything else the pass created is released.
     */
    public static NDList run(Block block, ParameterStore store, NDList inputs, boolean training) {
        if (inputs.isEmpty()) {
            return EngineAdapter.forward(block, store, inputs, training);
        }
        return step(block, store, inputs, training, inputs.head().getManager(), managers(inputs));
    }

    /** Runs a block inside the current scope; a plain sequence runs child by child, each in a step. */
    private static NDList inScope(Block block, ParameterStore store, NDList inputs, boolean training) {
        if (!(block instanceof SequentialBlock sequence)
                || sequence.isReturnIntermediate()
                || sequence.getChildren().isEmpty()) {
            return EngineAdapter.forward(block, store, inputs, training);
        }
        Map<NDArray, NDManager> origins = managers(inputs);
        NDManager owner = inputs.head().getManager();
        NDList current = inputs;
        for (Pair<String, Block> child : sequence.getChildren()) {
            current = step(child.getValue(), store, current, training, owner, origins);
        }
        return current;
    }

    /**
     * Runs one block in its own scope; its outputs move to {@code owner}, the caller's inputs
     * ({@code origins}) go back to their managers, and the rest of what it created is released.
     */
    private static NDList step(
            Block block,
            ParameterStore store,
            NDList current,
            boolean training,
            NDManager owner,
            Map<NDArray, NDManager> origins) {
        try (NDManager scope = owner.newSubManager()) {
            for (NDArray array : current) {
                array.attach(scope);
            }
            try {
                NDList next = inScope(block, store, current, training);
                for (NDArray array : next) {
                    array.attach(owner);
                }
                return next;
            } finally {
                for (NDArray array : current) {
                    NDManager origin = origins.get(array);
                    if (origin != null && array.getManager() == scope) {
                        array.attach(origin);
                    }
                }
            }
        }
    }

    private static Map<NDArray, NDManager> managers(NDList arrays) {
        Map<NDArray, NDManager> managers = new IdentityHashMap<>();
        for (NDArray array : arrays) {
            managers.put(array, array.getManager());
        }
        return managers;
    }
}
