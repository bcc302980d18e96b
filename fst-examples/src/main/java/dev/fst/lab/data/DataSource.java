package dev.fst.lab.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Parses the lab's {@code --data} option and loads the data it names:
 *
 * <ul>
 *   <li>{@code synthetic} (default): {@link SyntheticCifar} with the given sizes and seed;
 *   <li>{@code cifar10:DIR}: {@link Cifar10Binary};
 *   <li>{@code gtsrb:DIR}: {@link Gtsrb};
 *   <li>{@code folder:DIR}: {@link ImageFolder}, resized to 32x32;
 *   <li>{@code fashion-mnist[:DIR]}: {@link IdxDataset#fashionMnist}, by default from {@link
 *       IdxDataset#FASHION_MNIST_DIR} (Debian's {@code dataset-fashion-mnist});
 *   <li>{@code mnist:DIR}: {@link IdxDataset#mnist}.
 * </ul>
 */
public final class DataSource {

    /** The kinds of {@code --data} that name a folder (all but {@code synthetic}). */
    private static final java.util.List<String> KINDS =
            java.util.List.of("cifar10", "gtsrb", "folder", "fashion-mnist", "mnist");

    private DataSource() {}

    /**
     * Loads the named data.
     *
     * @param spec the option value
     * @param syntheticTrain training images to generate for {@code synthetic}
     * @param syntheticTest test images to generate for {@code synthetic}
     * @param seed the seed for {@code synthetic}
     * @return train and test sets
     * @throws IllegalArgumentException for an unknown kind or a missing directory part
     * @throws IOException if the files are missing or malformed (the message names the file)
     */
    public static LabData load(String spec, int syntheticTrain, int syntheticTest, long seed) throws IOException {
        if ("synthetic".equals(spec)) {
            return SyntheticCifar.generate(syntheticTrain, syntheticTest, seed);
        }
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String dir = colon < 0 ? "" : spec.substring(colon + 1);
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("unknown --data '" + spec
                    + "'; use synthetic, fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, gtsrb:DIR or folder:DIR");
        }
        if (kind.equals("fashion-mnist") && dir.isBlank()) {
            return IdxDataset.fashionMnist(IdxDataset.FASHION_MNIST_DIR);
        }
        if (dir.isBlank()) {
            throw new IllegalArgumentException("--data " + kind + " needs a directory: " + kind + ":DIR");
        }
        Path path = Path.of(dir);
        return switch (kind) {
            case "cifar10" -> Cifar10Binary.load(path);
            case "gtsrb" -> Gtsrb.load(path);
            case "fashion-mnist" -> IdxDataset.fashionMnist(path);
            case "mnist" -> IdxDataset.mnist(path);
            default -> ImageFolder.load(path, 32);
        };
    }
}
