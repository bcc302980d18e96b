package dev.fst.lab.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-style datasets in the IDX format (LeCun et al.'s distribution format, also that of
 * Fashion-MNIST): {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code
 * t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each either raw or gzip-compressed
 * (with or without the {@code .gz} name; the content decides). An image file starts with the magic
 * number {@code 0x00000803} (unsigned bytes, 3 dimensions), then the image count, rows and columns
 * as big-endian 32-bit integers, then one byte per pixel, row-major; a label file with {@code
 * 0x00000801}, the count, then one byte per label.
 *
 * <p>Images load as grayscale ({@link LabeledImages#channels()} 1), labels must be 0..9. Debian's
 * {@code dataset-fashion-mnist} package installs Fashion-MNIST in {@link #FASHION_MNIST_DIR}.
 */
public final class IdxDataset {

    /** Where Debian's {@code dataset-fashion-mnist} package puts the four files. */
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Fashion-MNIST's class names, index = label. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** MNIST's class names, the digits. */
    public static final List<String> MNIST_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    static final int IMAGE_MAGIC = 0x00000803;
    static final int LABEL_MAGIC = 0x00000801;

    private IdxDataset() {}

    /**
     * Loads Fashion-MNIST.
     *
     * @param directory the folder holding the four files
     * @return train (60,000 images for the full set) and test (10,000)
     * @throws IOException naming a missing or malformed file and what was expected
     */
    public static LabData fashionMnist(Path directory) throws IOException {
        return load("fashion-mnist:" + directory, directory, FASHION_MNIST_CLASSES);
    }

    /**
     * Loads MNIST.
     *
     * @param directory the folder holding the four files
     * @return train (60,000 images for the full set) and test (10,000)
     * @throws IOException naming a missing or malformed file and what was expected
     */
    public static LabData mnist(Path directory) throws IOException {
        return load("mnist:" + directory, directory, MNIST_CLASSES);
    }

    private static LabData load(String source, Path directory, List<String> classes) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException("IDX folder " + directory + " does not exist; expected train-images-idx3-ubyte,"
                    + " train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in"
                    + " .gz)" + (directory.equals(FASHION_MNIST_DIR) ? "; install them with apt-get install"
                            + " dataset-fashion-mnist" : ""));
        }
        LabeledImages train = read(find(directory, "train-images-idx3-ubyte"),
                find(directory, "train-labels-idx1-ubyte"), classes);
        LabeledImages test = read(find(directory, "t10k-images-idx3-ubyte"),
                find(directory, "t10k-labels-idx1-ubyte"), classes);
        if (train.height() != test.height() || train.width() != test.width()) {
            throw new IOException("the training images in " + directory + " are " + train.height() + "x"
                    + train.width() + " but the test images are " + test.height() + "x" + test.width());
        }
        return new LabData(source, train, test);
    }

    private static Path find(Path directory, String name) throws IOException {
        Path raw = directory.resolve(name);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = directory.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new IOException("missing IDX file " + raw + " (or " + gz.getFileName() + ")");
    }

    /**
     * Reads one image file and its label file.
     *
     * @param images an IDX image file, raw or gzip
     * @param labels the matching IDX label file, raw or gzip
     * @param classes the class names; labels must be below their count
     * @return the images, grayscale
     * @throws IOException naming the file when a magic number is wrong, a file is truncated, the
     *     counts differ, or a label is out of range
     */
    public static LabeledImages read(Path images, Path labels, List<String> classes) throws IOException {
        int[] ys = readLabels(labels, classes.size());
        try (DataInputStream in = open(images)) {
            int magic = header(in, images, "magic number");
            if (magic != IMAGE_MAGIC) {
                throw new IOException(String.format("%s: magic number 0x%08X, expected 0x%08X (an IDX file of unsigned"
                        + " bytes with 3 dimensions: images)%s", images, magic, IMAGE_MAGIC,
                        magic == LABEL_MAGIC ? "; this is a label file" : ""));
            }
            int count = header(in, images, "image count");
            int rows = header(in, images, "row count");
            int columns = header(in, images, "column count");
            if (count < 0 || rows < 1 || columns < 1 || (long) rows * columns > 1 << 20) {
                throw new IOException(images + ": header gives " + count + " images of " + rows + "x" + columns
                        + "; expected a count >= 0 and a size of at least 1x1 and at most 1,048,576 pixels");
            }
            if (count != ys.length) {
                throw new IOException(images + " holds " + count + " images but " + labels + " holds " + ys.length
                        + " labels; they must match");
            }
            long bytes = (long) count * rows * columns;
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new IOException(images + ": " + count + " images of " + rows + "x" + columns + " are too many"
                        + " to hold in memory");
            }
            byte[] pixels = new byte[(int) bytes];
            int read = readFully(in, pixels, images);
            if (read != pixels.length) {
                throw new IOException(images + " is truncated: " + count + " images of " + rows + "x" + columns
                        + " need " + bytes + " pixel bytes after the header but the file has " + read);
            }
            return LabeledImages.wrap(pixels, ys, rows, columns, 1, classes);
        }
    }

    private static int[] readLabels(Path file, int classes) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = header(in, file, "magic number");
            if (magic != LABEL_MAGIC) {
                throw new IOException(String.format("%s: magic number 0x%08X, expected 0x%08X (an IDX file of unsigned"
                        + " bytes with 1 dimension: labels)%s", file, magic, LABEL_MAGIC,
                        magic == IMAGE_MAGIC ? "; this is an image file" : ""));
            }
            int count = header(in, file, "label count");
            if (count < 0) {
                throw new IOException(file + ": header gives " + count + " labels; expected a count >= 0");
            }
            byte[] bytes = new byte[count];
            int read = readFully(in, bytes, file);
            if (read != count) {
                throw new IOException(file + " is truncated: the header announces " + count + " labels but the file"
                        + " has " + read);
            }
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = bytes[i] & 0xFF;
                if (labels[i] >= classes) {
                    throw new IOException(file + ": label " + labels[i] + " of item " + i + " is outside 0.."
                            + (classes - 1));
                }
            }
            return labels;
        }
    }

    /** Reads as many bytes as there are; a gzip stream cut short counts as the end of the data. */
    private static int readFully(InputStream in, byte[] into, Path file) throws IOException {
        int total = 0;
        try {
            while (total < into.length) {
                int n = in.read(into, total, into.length - total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
        } catch (EOFException e) {
            // "Unexpected end of ZLIB input stream": a truncated gzip file
        } catch (ZipException e) {
            throw new IOException(file + ": corrupt gzip data: " + e.getMessage(), e);
        }
        return total;
    }

    private static int header(DataInputStream in, Path file, String what) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new IOException(file + " is truncated: it ends inside the header, before the " + what, e);
        }
    }

    /** Opens a file, decompressing it when it starts with the gzip signature 1f 8b. */
    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
            } catch (ZipException e) {
                raw.close();
                throw new IOException(file + ": a gzip file that cannot be decompressed: " + e.getMessage(), e);
            }
        }
        return new DataInputStream(raw);
    }
}
