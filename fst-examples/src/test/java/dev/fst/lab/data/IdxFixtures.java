package dev.fst.lab.data;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a tiny Fashion-MNIST-shaped dataset in the IDX format for tests: 28x28 grayscale images of
 * ten classes, class {@code k} a bright horizontal bar at row {@code 2 + 2k} on a dark noisy
 * background (learnable in one epoch), gzip-compressed as Debian ships them.
 */
public final class IdxFixtures {

    private IdxFixtures() {}

    /**
     * Writes the four files into {@code dir}.
     *
     * @param dir the folder
     * @param train training images
     * @param test test images
     * @param seed the noise seed
     * @return {@code dir}
     * @throws IOException if writing fails
     */
    public static Path write(Path dir, int train, int test, long seed) throws IOException {
        Random random = new Random(seed);
        write(dir, "train", train, random);
        write(dir, "t10k", test, random);
        return dir;
    }

    private static void write(Path dir, String prefix, int n, Random random) throws IOException {
        byte[] pixels = new byte[n * 28 * 28];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            labels[i] = (byte) label;
            int row = 2 + 2 * label;
            for (int r = 0; r < 28; r++) {
                for (int c = 0; c < 28; c++) {
                    int value = random.nextInt(40) + (Math.abs(r - row) <= 1 && c > 3 && c < 24 ? 180 : 0);
                    pixels[i * 784 + r * 28 + c] = (byte) value;
                }
            }
        }
        try (DataOutputStream out = gzip(dir.resolve(prefix + "-images-idx3-ubyte.gz"))) {
            out.writeInt(IdxDataset.IMAGE_MAGIC);
            out.writeInt(n);
            out.writeInt(28);
            out.writeInt(28);
            out.write(pixels);
        }
        try (DataOutputStream out = gzip(dir.resolve(prefix + "-labels-idx1-ubyte.gz"))) {
            out.writeInt(IdxDataset.LABEL_MAGIC);
            out.writeInt(n);
            out.write(labels);
        }
    }

    private static DataOutputStream gzip(Path file) throws IOException {
        OutputStream raw = Files.newOutputStream(file);
        return new DataOutputStream(new GZIPOutputStream(raw));
    }
}
