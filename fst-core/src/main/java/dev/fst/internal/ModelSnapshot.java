package dev.fst.internal;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A copy of a model's complete state, taken before tuning, that can put the model back exactly.
 *
 * <p>A DJL block's state is its parameters, BatchNorm running statistics included; they are copied
 * on the model's device and written back in place, so every reference to the model's parameters
 * stays valid. A TorchScript module also has buffers (BatchNorm running statistics) that DJL does
 * not expose; its snapshot is the serialised module, and restoring swaps a module loaded from it
 * into the model ({@link Model#setBlock}) and closes the tuned one.
 */
public abstract class ModelSnapshot implements AutoCloseable {

    /**
     * Copies the model's complete state.
     *
     * @param model the model
     * @return the snapshot; close it when it is no longer needed
     */
    public static ModelSnapshot take(Model model) {
        Block block = model.getBlock();
        return EngineAdapter.isTorchScript(block)
                ? new TorchScriptSnapshot(model, block)
                : new ParameterSnapshot(model);
    }

    /**
     * Puts the model back into the state it had when the snapshot was taken. For a TorchScript
     * model this replaces the model's block: references to its old parameters are stale after.
     */
    public abstract void restore();

    @Override
    public abstract void close();

    private static final class ParameterSnapshot extends ModelSnapshot {
        private final NDManager manager;
        private final List<Pair<NDArray, NDArray>> copies = new ArrayList<>();

        ParameterSnapshot(Model model) {
            manager = model.getNDManager().newSubManager();
            for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
                NDArray live = pair.getValue().getArray();
                NDArray copy = live.duplicate();
                copy.attach(manager);
                copies.add(new Pair<>(live, copy));
            }
        }

        @Override
        public void restore() {
            for (Pair<NDArray, NDArray> pair : copies) {
                pair.getKey().set(new NDIndex("..."), pair.getValue());
            }
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    private static final class TorchScriptSnapshot extends ModelSnapshot {
        private final Model model;
        private final byte[] module;

        TorchScriptSnapshot(Model model, Block block) {
            this.model = model;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            EngineAdapter.writeModule(block, out);
            this.module = out.toByteArray();
        }

        @Override
        public void restore() {
            Block tuned = model.getBlock();
            Block original;
            try {
                original =
                        EngineAdapter.readModule(
                                new ByteArrayInputStream(module), model.getNDManager());
            } catch (IOException e) {
                throw new UncheckedIOException("could not reload the model's snapshot", e);
            }
            model.setBlock(original);
            EngineAdapter.closeModule(tuned);
        }

        @Override
        public void close() {}
    }
}
