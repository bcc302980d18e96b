package dev.fst.lab.train;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import com.google.common.hash.Hashing;
import dev.fst.lab.model.Architecture;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * A folder of trained models, one sub-folder per {@linkplain #key key}: the DJL parameter file
 * {@code model-0000.params} and {@code metadata.properties} ({@link BackdoorRecord}). The lab looks
 * a model up by the hash of everything that determines it and reuses it instead of retraining.
 */
public final class ModelStore {

    private static final String METADATA = "metadata.properties";
    private static final String NAME = "model";

    private final Path root;

    /**
     * Opens a store; the folder is created on the first save.
     *
     * @param root the folder
     */
    public ModelStore(Path root) {
        this.root = root.toAbsolutePath();
    }

    /**
     * Returns the folder.
     *
     * @return the root folder
     */
    public Path root() {
        return root;
    }

    /**
     * Hashes a description of everything that determines a model into a short key.
     *
     * @param description the settings, such as {@code "small-cnn|badnet|0.01|..."}
     * @return 16 hex digits
     */
    public static String key(String description) {
        return Hashing.sha256().hashString(description, StandardCharsets.UTF_8).toString().substring(0, 16);
    }

    /**
     * Looks up a saved model's record.
     *
     * @param key the key
     * @return the record, or empty if none is saved (or the save is incomplete)
     * @throws UncheckedIOException if the metadata exists but cannot be read
     */
    public Optional<BackdoorRecord> find(String key) {
        Path dir = root.resolve(key);
        Path metadata = dir.resolve(METADATA);
        if (!Files.isRegularFile(metadata) || !Files.isRegularFile(dir.resolve(NAME + "-0000.params"))) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(metadata, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metadata, e);
        }
        return Optional.of(BackdoorRecord.fromProperties(p));
    }

    /**
     * Saves a model and its record under {@code record.key()}, the weights first so that a save
     * interrupted half-way is not found.
     *
     * @param model the trained model
     * @param record its record
     * @throws UncheckedIOException if writing fails
     */
    public void save(Model model, BackdoorRecord record) {
        Path dir = root.resolve(record.key());
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(METADATA));
            model.save(dir, NAME);
            try (Writer out = Files.newBufferedWriter(dir.resolve(METADATA), StandardCharsets.UTF_8)) {
                record.toProperties().store(out, "FST backdoor lab model");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the model to " + dir, e);
        }
    }

    /**
     * Loads a saved model.
     *
     * @param record the record from {@link #find}
     * @param classes the number of classes
     * @param imageSize the image side
     * @param device the device, or {@code null} for DJL's default
     * @return a new model with the saved weights; the caller closes it
     * @throws UncheckedIOException if the weights cannot be read
     */
    public Model load(BackdoorRecord record, int classes, int imageSize, Device device) {
        return load(record, classes, 3, imageSize, device);
    }

    /**
     * Loads a saved model for images of any channel count.
     *
     * @param record the record from {@link #find}
     * @param classes the number of classes
     * @param channels the images' channels (1 gray, 3 RGB)
     * @param imageSize the image side
     * @param device the device, or {@code null} for DJL's default
     * @return a new model with the saved weights; the caller closes it
     * @throws UncheckedIOException if the weights cannot be read
     */
    public Model load(BackdoorRecord record, int classes, int channels, int imageSize, Device device) {
        Architecture architecture = Architecture.of(record.architecture());
        Model model = architecture.newModel(classes, channels, imageSize, 0, device);
        try {
            model.load(root.resolve(record.key()), NAME);
        } catch (IOException | MalformedModelException e) {
            model.close();
            throw new UncheckedIOException("cannot load the model in " + root.resolve(record.key()),
                    e instanceof IOException io ? io : new IOException(e));
        }
        return model;
    }
}
