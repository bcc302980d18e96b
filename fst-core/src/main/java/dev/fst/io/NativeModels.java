package dev.fst.io;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import com.google.common.collect.ImmutableMap;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * DJL-native models on disk with their metadata: {@code NAME.params} (the block's parameters,
 * BatchNorm statistics included, in DJL's format) and {@code NAME.properties} (free-form metadata
 * such as the purification method, its configuration, or accuracies). DJL-native parameters hold
 * no architecture: loading needs the same block, uninitialised or initialised, as when saving.
 * Both files are written atomically.
 */
public final class NativeModels {

    private NativeModels() {}

    /** A model read back with its metadata. */
    public record Loaded(Model model, Map<String, String> metadata) {}

    /**
     * Writes the model's parameters and the metadata.
     *
     * @param model an initialised DJL-native model (not TorchScript: see {@link TorchScriptModels})
     * @param dir an existing folder
     * @param name the file name stem
     * @param metadata written as properties, sorted by key
     * @throws IOException if the folder is missing or writing fails
     */
    public static void save(Model model, Path dir, String name, Map<String, String> metadata) throws IOException {
        if (model.getBlock() instanceof ai.djl.nn.SymbolBlock) {
            throw new IllegalArgumentException("the model is TorchScript; save it with TorchScriptModels.save");
        }
        AtomicFiles.write(dir.resolve(name + ".params"), true,
                out -> model.getBlock().saveParameters(new DataOutputStream(out)));
        Properties properties = new Properties();
        new TreeMap<>(metadata).forEach(properties::setProperty);
        AtomicFiles.write(dir.resolve(name + ".properties"), true, out -> {
            try (Writer writer = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8)) {
                properties.store(writer, "dev.fst model metadata");
            }
        });
    }

    /**
     * Reads parameters written by {@link #save} into {@code block} and returns a new model on
     * {@code device} together with the metadata.
     *
     * @param block the same architecture as when saving
     * @param dir the folder
     * @param name the file name stem
     * @param device the device, or {@code null} for DJL's default
     * @return the model (the caller closes it) and its metadata
     * @throws IOException naming the missing or unreadable file
     * @throws IllegalArgumentException if the parameters do not fit the block
     */
    public static Loaded load(Block block, Path dir, String name, Device device) throws IOException {
        Path params = dir.resolve(name + ".params");
        Path props = dir.resolve(name + ".properties");
        for (Path file : new Path[] {params, props}) {
            if (!Files.isReadable(file)) {
                throw new IOException("model file " + file + " does not exist or is not readable");
            }
        }
        Model model = Model.newInstance(name, device, "PyTorch");
        model.setBlock(block);
        try (InputStream in = Files.newInputStream(params)) {
            block.loadParameters(model.getNDManager(), new java.io.DataInputStream(in));
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new IllegalArgumentException(params + " does not fit the given block: "
                    + TorchScriptModels.firstLine(e.getMessage()), e);
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(props, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> metadata = new TreeMap<>();
        properties.stringPropertyNames().forEach(k -> metadata.put(k, properties.getProperty(k)));
        return new Loaded(model, ImmutableMap.copyOf(metadata));
    }
}
