package dev.fst.io;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.fst.internal.EngineAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * TorchScript classifiers in and out: {@link #load} opens a {@code .pt} file with trainable
 * parameters (named as in PyTorch, so {@code fc}, {@code linear}, {@code head} and {@code
 * classifier.N} heads are found automatically), any tuner purifies it in place, and {@link #save}
 * writes a plain TorchScript file that {@code torch.jit.load} and DJL read back.
 *
 * <p>Export the model with {@code torch.jit.script(model)} (or trace it in training mode): a model
 * traced in eval mode keeps its BatchNorm layers in eval mode forever, so tuning cannot update
 * their statistics. {@link #trainingModeHasEffect} detects that case where it can.
 */
public final class TorchScriptModels {

    private TorchScriptModels() {}

    /**
     * Loads a TorchScript file for tuning.
     *
     * @param file a TorchScript file written by {@code torch.jit.save}
     * @param device where the parameters go, or {@code null} for DJL's default (a GPU when present)
     * @return the model; the caller closes it
     * @throws IllegalArgumentException naming the file when it is missing, unreadable, not
     *     TorchScript, or rejected by the engine; nothing is left open
     */
    public static Model load(Path file, Device device) {
        checkTorchScript(file);
        Path absolute = file.toAbsolutePath();
        String name = absolute.getFileName().toString();
        Model model = Model.newInstance(name, device, "PyTorch");
        try {
            model.load(absolute.getParent(), name, Map.of("trainParam", "true"));
        } catch (IOException | ai.djl.MalformedModelException | RuntimeException e) {
            model.close();
            throw new IllegalArgumentException(
                    file + " could not be loaded as TorchScript: " + firstLine(e.getMessage()), e);
        }
        if (!EngineAdapter.isTorchScript(model.getBlock())) {
            model.close();
            throw new IllegalArgumentException(file + " did not load as a TorchScript module");
        }
        if (model.getBlock().getParameters().isEmpty()) {
            model.close();
            throw new IllegalArgumentException(file + " has no parameters to tune");
        }
        return model;
    }

    /**
     * Writes a TorchScript model, as loaded by {@link #load} and possibly tuned since, to a plain
     * TorchScript file ({@code torch.jit.load} reads it). The write is atomic.
     *
     * @param model a model whose block is a TorchScript module
     * @param file the file to write
     * @param replace whether an existing file may be replaced
     * @throws IllegalArgumentException if the model is not TorchScript
     * @throws IOException if the folder is missing, the file exists and {@code replace} is false, or
     *     writing fails; no partial file is left
     */
    public static void save(Model model, Path file, boolean replace) throws IOException {
        Block block = model.getBlock();
        if (!EngineAdapter.isTorchScript(block)) {
            throw new IllegalArgumentException(
                    "the model is not TorchScript; save DJL-native models with NativeModels.save");
        }
        AtomicFiles.write(file, replace, out -> EngineAdapter.writeModule(block, out));
    }

    /**
     * Writes a TorchScript model, as loaded by {@link #load} and possibly tuned since, as a plain
     * TorchScript file to a stream, for callers that manage the file themselves.
     *
     * @param model a model whose block is a TorchScript module
     * @param out the stream; not closed
     * @throws IllegalArgumentException if the model is not TorchScript
     */
    public static void write(Model model, java.io.OutputStream out) {
        if (!EngineAdapter.isTorchScript(model.getBlock())) {
            throw new IllegalArgumentException(
                    "the model is not TorchScript; save DJL-native models with NativeModels.save");
        }
        EngineAdapter.writeModule(model.getBlock(), out);
    }

    /**
     * Tells whether the model's training mode changes its outputs, on a copy loaded from the file
     * (the model being tuned is not touched: a training-mode pass would move BatchNorm statistics
     * that TorchScript does not expose for restoring). {@code false} means the model was traced in
     * eval mode, so its BatchNorm layers stay frozen, or it has no BatchNorm or dropout at all.
     *
     * @param file the TorchScript file
     * @param imageShape the shape of one input, for example (3, 32, 32)
     * @return whether training and inference mode give different outputs on a random batch
     * @throws IllegalArgumentException if the file cannot be loaded or the shape does not fit
     */
    public static boolean trainingModeHasEffect(Path file, Shape imageShape) {
        try (Model copy = load(file, Device.cpu()); NDManager scope = copy.getNDManager().newSubManager()) {
            NDArray batch = scope.randomUniform(0, 1, new Shape(4).addAll(imageShape), ai.djl.ndarray.types.DataType.FLOAT32,
                    copy.getNDManager().getDevice());
            ParameterStore store = new ParameterStore(scope, false);
            try {
                NDArray eval = copy.getBlock().forward(store, new NDList(batch), false).singletonOrThrow();
                NDArray train = copy.getBlock().forward(store, new NDList(batch), true).singletonOrThrow();
                return !eval.allClose(train, 0, 0, false);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        "images of shape " + imageShape + " do not fit " + file + ": " + firstLine(e.getMessage()), e);
            }
        }
    }

    private static void checkTorchScript(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("the model file must not be null");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("model file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("model file " + file + " is not a readable file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(2);
            if (magic.length < 2 || magic[0] != 'P' || magic[1] != 'K') {
                throw new IllegalArgumentException(file + " is not a TorchScript file (not a zip archive);"
                        + " export the model with torch.jit.save(torch.jit.script(model), path)");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("model file " + file + " cannot be read: " + e.getMessage(), e);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            boolean constants = false;
            boolean code = false;
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                String entry = entries.nextElement().getName();
                constants |= entry.endsWith("/data.pkl");
                code |= entry.contains("/code/");
            }
            if (!constants || !code) {
                throw new IllegalArgumentException(file + " is a zip archive but not a TorchScript file"
                        + " (a state_dict saved with torch.save is not enough); export the model with"
                        + " torch.jit.save(torch.jit.script(model), path)");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a TorchScript file: " + e.getMessage(), e);
        }
    }

    static String firstLine(String message) {
        return dev.fst.internal.Messages.firstLine(message);
    }
}
