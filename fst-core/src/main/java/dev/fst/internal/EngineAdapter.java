package dev.fst.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;

/**
 * Every call the project's main code makes into DJL's PyTorch engine internals ({@code
 * ai.djl.pytorch.*}), in one place: the {@code -Pgpu} build moves DJL to another version, and these
 * classes are not DJL's public API, so they must be checked against it here and nowhere else.
 * Callers pass and receive DJL API types only ({@link Block}, {@link NDArray}, {@link NDManager}).
 *
 * <p>What is here:
 *
 * <ul>
 *   <li>gradients: {@link #gradient} and {@link #zeroGradient} (DJL's {@code NDArray.getGradient}
 *       allocates a zero array when there is none, and DJL has no way to zero a gradient in place);
 *   <li>TorchScript modules: {@link #isTorchScript}, {@link #writeModule}, {@link #readModule},
 *       {@link #copyModule}, {@link #closeModule};
 *   <li>the forward pass with DJL-native inference semantics for TorchScript ({@link #forward},
 *       {@link #inferenceForward}) and calls of helper modules ({@link #callModule});
 *   <li>the libtorch profiler and thread counts ({@link #startProfiler}, {@link #stopProfiler},
 *       {@link #intraOpThreads}, {@link #interOpThreads}).
 * </ul>
 *
 * <p>Thread-safety is that of the underlying calls: a module must not be run from two threads at
 * once.
 */
public final class EngineAdapter {

    /** How many bytes a module copy is expected to need, as a start for its buffer. */
    private static final int MODULE_BUFFER = 1 << 16;

    private EngineAdapter() {}

    // ---------------------------------------------------------------- gradients

    /**
     * Returns the gradient an array has accumulated, or {@code null} when no backward pass has
     * reached it since it last lost its gradient. Unlike {@code NDArray.getGradient()}, nothing is
     * allocated for an array without one.
     *
     * @param array an array of the PyTorch engine
     * @return a new handle on the gradient, owned by the array's manager (close or re-attach it),
     *     or {@code null}
     */
    public static NDArray gradient(NDArray array) {
        return JniUtils.getGradient((PtNDArray) array);
    }

    /**
     * Zeroes an array's accumulated gradient in place (DJL's gradient collector adds to it).
     *
     * @param array an array of the PyTorch engine with gradients enabled
     */
    public static void zeroGradient(NDArray array) {
        JniUtils.zeroGrad((PtNDArray) array);
    }

    // ---------------------------------------------------------------- TorchScript modules

    /**
     * Tells whether a block is a TorchScript module of the PyTorch engine.
     *
     * @param block a block, possibly {@code null}
     * @return whether it is a {@code PtSymbolBlock}
     */
    public static boolean isTorchScript(Block block) {
        return block instanceof PtSymbolBlock;
    }

    /**
     * Writes a TorchScript module as a plain TorchScript file ({@code torch.jit.load} reads it),
     * buffers (BatchNorm running statistics) included.
     *
     * @param module a TorchScript module ({@link #isTorchScript})
     * @param out where the bytes go; not closed
     * @throws IllegalArgumentException if the block is not a TorchScript module
     */
    public static void writeModule(Block module, OutputStream out) {
        JniUtils.writeModule(torchScript(module), out, false);
    }

    /**
     * Reads a TorchScript module onto the device of {@code manager}, with trainable parameters,
     * attached to {@code manager}: closing the manager closes the module and its parameter arrays.
     * The module is switched to training mode, which is what a new DJL block believes it is in
     * (the engine loads it in whatever mode it was saved in).
     *
     * @param in the module's bytes, as {@link #writeModule} or {@code torch.jit.save} wrote them
     * @param manager the owner of the module, of the PyTorch engine
     * @return the module
     * @throws IOException if the bytes cannot be read
     */
    public static Block readModule(InputStream in, NDManager manager) throws IOException {
        PtSymbolBlock module = JniUtils.loadModule((PtNDManager) manager, in, true, false);
        JniUtils.enableTrainingMode(module);
        return module;
    }

    /**
     * Returns an independent copy of a TorchScript module (parameters and buffers copied, nothing
     * shared), made by serialising the module and reading it back into {@code manager}; see
     * {@link #readModule}.
     *
     * @param module a TorchScript module ({@link #isTorchScript})
     * @param manager the owner of the copy; closing it closes the copy
     * @return the copy, in training mode
     * @throws IllegalArgumentException if the block is not a TorchScript module
     */
    public static Block copyModule(Block module, NDManager manager) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(MODULE_BUFFER);
        writeModule(module, bytes);
        try {
            return readModule(new ByteArrayInputStream(bytes.toByteArray()), manager);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read back a copy of the module", e);
        }
    }

    /**
     * Closes a TorchScript module now, freeing its native module and detaching it from its
     * manager, rather than when the manager closes.
     *
     * @param module a TorchScript module ({@link #isTorchScript})
     * @throws IllegalArgumentException if the block is not a TorchScript module
     */
    public static void closeModule(Block module) {
        torchScript(module).close();
    }

    /**
     * Runs a helper TorchScript module (one without parameters, such as an autograd function) on
     * the given arrays, with autograd left as it is: gradients are recorded when a gradient
     * collector is open. The arrays' names select how DJL's IValue bridge groups them ({@code
     * name[]} makes a list).
     *
     * @param module a TorchScript module
     * @param inputs its inputs
     * @return its outputs, in the manager of the first input
     * @throws IllegalArgumentException if the block is not a TorchScript module
     */
    public static NDList callModule(Block module, NDList inputs) {
        return IValueUtils.forward(torchScript(module), inputs, true);
    }

    // ---------------------------------------------------------------- forward passes

    /**
     * Runs a block as {@code block.forward(store, inputs, training)} does, except that a
     * TorchScript module in inference mode goes through {@link #inferenceForward}, so that it keeps the
     * semantics of DJL-native blocks: {@code training = false} switches BatchNorm and dropout to
     * evaluation, and nothing else.
     *
     * @param block any block
     * @param store the parameter store (DJL-native blocks only)
     * @param inputs the inputs
     * @param training {@code true} for training mode
     * @return the outputs
     */
    public static NDList forward(
            Block block, ParameterStore store, NDList inputs, boolean training) {
        if (!training && block instanceof PtSymbolBlock module) {
            return inferenceForward(module, inputs);
        }
        return block.forward(store, inputs, training);
    }

    /**
     * Runs a TorchScript module in evaluation mode (BatchNorm uses and keeps its running
     * statistics, dropout is off) while autograd records the pass whenever a gradient collector is
     * open, as {@code training = false} does for DJL-native blocks.
     *
     * <p>DJL's own {@code PtSymbolBlock.forward(..., false)} does not: it runs the module inside
     * libtorch's {@code c10::InferenceMode} (its native {@code moduleRunMethod} with {@code
     * isTrain = false}), so the outputs are inference tensors and a backward pass fails with
     * "element 0 of tensors does not require grad". Measured on DJL 0.35.1 and libtorch 2.7.1: with
     * the module switched to evaluation mode and {@code isTrain = true}, the outputs equal those of
     * DJL's inference forward bit for bit, gradients reach the parameters inside a collector, no
     * graph is recorded outside one, and the running statistics do not move.
     *
     * <p>{@code PtSymbolBlock} remembers the mode it last put the module in, in a private field
     * {@code isTrain}, and only switches the module when a forward call asks for the other mode.
     * The module is left in evaluation mode here, so that field must say so too, or the next {@code
     * forward(..., true)} would run the module in evaluation mode. DJL offers no method to read or
     * set it (only a forward pass of its own changes it, which would run the model a second
     * time), so it is set by reflection; DJL 0.32.0 and 0.35.1 both have the field.
     *
     * @param module a TorchScript module
     * @param inputs its inputs
     * @return its outputs, in the manager of the first input
     * @throws IllegalArgumentException if the block is not a TorchScript module
     * @throws IllegalStateException if this DJL version's {@code PtSymbolBlock} has no {@code
     *     isTrain} field
     */
    public static NDList inferenceForward(Block module, NDList inputs) {
        PtSymbolBlock block = torchScript(module);
        JniUtils.enableInferenceMode(block);
        ModeBelief.set(block, false);
        String optimizer = System.getProperty("ai.djl.pytorch.graph_optimizer");
        if (optimizer != null) {
            // thread-local in libtorch; PtSymbolBlock.forward applies it on every call too
            JniUtils.setGraphExecutorOptimize(Boolean.parseBoolean(optimizer));
        }
        return IValueUtils.forward(block, inputs, true);
    }

    /** Access to {@code PtSymbolBlock.isTrain}, resolved once. */
    private static final class ModeBelief {
        private static final Field FIELD = find();

        private static Field find() {
            try {
                Field field = PtSymbolBlock.class.getDeclaredField("isTrain");
                field.setAccessible(true);
                return field;
            } catch (NoSuchFieldException | RuntimeException e) {
                return null;
            }
        }

        static void set(PtSymbolBlock block, boolean training) {
            if (FIELD == null) {
                throw new IllegalStateException(
                        "this DJL version's PtSymbolBlock has no accessible field isTrain, which"
                                + " EngineAdapter.inferenceForward keeps in step with the module's"
                                + " mode; check the adapter against this DJL version");
            }
            try {
                FIELD.setBoolean(block, training);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot set PtSymbolBlock.isTrain", e);
            }
        }
    }

    // ---------------------------------------------------------------- profiler and threads

    /**
     * Starts libtorch's operator profiler for this process, without CUDA event timing, input
     * shapes or memory records.
     */
    public static void startProfiler() {
        JniUtils.startProfile(false, false, false);
    }

    /**
     * Stops the profiler and writes its trace.
     *
     * @param file the Chrome-trace JSON file to write
     */
    public static void stopProfiler(String file) {
        JniUtils.stopProfile(file);
    }

    /**
     * Returns libtorch's number of intra-op threads.
     *
     * @return the thread count
     */
    public static int intraOpThreads() {
        return JniUtils.getNumThreads();
    }

    /**
     * Returns libtorch's number of inter-op threads.
     *
     * @return the thread count
     */
    public static int interOpThreads() {
        return JniUtils.getNumInteropThreads();
    }

    private static PtSymbolBlock torchScript(Block block) {
        if (!(block instanceof PtSymbolBlock module)) {
            throw new IllegalArgumentException(
                    "not a TorchScript module of the PyTorch engine: "
                            + (block == null ? "null" : block.getClass().getName()));
        }
        return module;
    }
}
