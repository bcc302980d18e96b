package dev.fst.lab.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxDatasetTest {

    @TempDir
    Path dir;

    /** An IDX image file: magic, count, rows, columns, then pixel {@code i} of image {@code n} = n * 10 + i. */
    private static byte[] images(int magic, int count, int rows, int columns, int pixelBytes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        out.writeInt(count);
        out.writeInt(rows);
        out.writeInt(columns);
        for (int k = 0; k < pixelBytes; k++) {
            out.writeByte((k / (rows * columns)) * 10 + k % (rows * columns));
        }
        return bytes.toByteArray();
    }

    private static byte[] labels(int magic, int count, int... values) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        out.writeInt(count);
        for (int v : values) {
            out.writeByte(v);
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    /** Writes the four files of a 3-image training set and a 2-image test set of 2x3 images. */
    private void writeSet(boolean gzip) throws IOException {
        String suffix = gzip ? ".gz" : "";
        write("train-images-idx3-ubyte" + suffix, images(0x803, 3, 2, 3, 18), gzip);
        write("train-labels-idx1-ubyte" + suffix, labels(0x801, 3, 9, 0, 4), gzip);
        write("t10k-images-idx3-ubyte" + suffix, images(0x803, 2, 2, 3, 12), gzip);
        write("t10k-labels-idx1-ubyte" + suffix, labels(0x801, 2, 1, 2), gzip);
    }

    private Path write(String name, byte[] content, boolean gzip) throws IOException {
        return Files.write(dir.resolve(name), gzip ? gzip(content) : content);
    }

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void read_rawAndGzip_giveGrayImagesWithTheirLabels(boolean gzip) throws IOException {
        writeSet(gzip);
        LabData data = IdxDataset.fashionMnist(dir);
        assertEquals(3, data.train().size());
        assertEquals(2, data.test().size());
        assertEquals(1, data.train().channels());
        assertEquals(2, data.train().height());
        assertEquals(3, data.train().width());
        assertArrayEquals(new int[] {9, 0, 4}, data.train().labels());
        assertArrayEquals(new int[] {1, 2}, data.test().labels());
        assertArrayEquals(new int[] {10, 11, 12, 13, 14, 15}, data.train().image(1), "row-major pixels of image 1");
        assertEquals(13, data.train().value(1, 1, 0, 0), "row 1, column 0");
        assertEquals("Ankle boot", data.train().classNames().get(9));
        assertEquals("fashion-mnist:" + dir, data.source());
    }

    @Test
    void gzipContent_isRecognisedWhateverTheName() throws IOException {
        writeSet(false);
        Files.write(dir.resolve("train-labels-idx1-ubyte"), gzip(labels(0x801, 3, 9, 0, 4)));
        assertArrayEquals(new int[] {9, 0, 4}, IdxDataset.mnist(dir).train().labels());
    }

    @Test
    void malformedFiles_areErrorsNamingTheFileAndWhatWasExpected() throws IOException {
        Path images = write("i", images(0x803, 2, 2, 2, 8), false);
        Path labels = write("l", labels(0x801, 2, 1, 2), false);
        assertEquals(2, IdxDataset.read(images, labels, IdxDataset.MNIST_CLASSES).size());

        Path wrongMagic = write("wm", images(0x801, 2, 2, 2, 8), false);
        assertMessage(() -> IdxDataset.read(wrongMagic, labels, IdxDataset.MNIST_CLASSES),
                wrongMagic + ": magic number 0x00000801, expected 0x00000803", "this is a label file");
        Path wrongLabelMagic = write("wl", labels(0x803, 2, 1, 2), false);
        assertMessage(() -> IdxDataset.read(images, wrongLabelMagic, IdxDataset.MNIST_CLASSES),
                wrongLabelMagic + ": magic number 0x00000803, expected 0x00000801", "labels");
        Path truncated = write("t", images(0x803, 2, 2, 2, 5), false);
        assertMessage(() -> IdxDataset.read(truncated, labels, IdxDataset.MNIST_CLASSES),
                truncated + " is truncated", "need 8 pixel bytes after the header but the file has 5");
        Path truncatedGzip = write("tg", Arrays.copyOf(gzip(images(0x803, 2, 2, 2, 8)), 20), false);
        assertMessage(() -> IdxDataset.read(truncatedGzip, labels, IdxDataset.MNIST_CLASSES),
                truncatedGzip + " is truncated");
        Path header = write("h", new byte[] {0, 0, 8, 3, 0, 0}, false);
        assertMessage(() -> IdxDataset.read(header, labels, IdxDataset.MNIST_CLASSES),
                header + " is truncated: it ends inside the header, before the image count");
        Path fewerLabels = write("fl", labels(0x801, 1, 3), false);
        assertMessage(() -> IdxDataset.read(images, fewerLabels, IdxDataset.MNIST_CLASSES),
                images + " holds 2 images but " + fewerLabels + " holds 1 labels; they must match");
        Path shortLabels = write("sl", labels(0x801, 3, 1, 2), false);
        assertMessage(() -> IdxDataset.read(images, shortLabels, IdxDataset.MNIST_CLASSES),
                shortLabels + " is truncated: the header announces 3 labels but the file has 2");
        Path badLabel = write("bl", labels(0x801, 2, 1, 10), false);
        assertMessage(() -> IdxDataset.read(images, badLabel, IdxDataset.MNIST_CLASSES),
                badLabel + ": label 10 of item 1 is outside 0..9");
        assertMessage(() -> IdxDataset.fashionMnist(dir.resolve("nowhere")), "IDX folder", "does not exist");
        assertMessage(() -> IdxDataset.mnist(dir), "missing IDX file " + dir.resolve("train-images-idx3-ubyte"),
                "(or train-images-idx3-ubyte.gz)");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IOException e = assertThrows(IOException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void realFashionMnist_whenInstalled_loadsWithTheFilesLabels() throws IOException {
        Path debian = IdxDataset.FASHION_MNIST_DIR;
        if (System.getenv("CI") != null) {
            assertTrue(Files.isDirectory(debian), ".ci/run installs dataset-fashion-mnist, but " + debian + " is missing");
        }
        Assumptions.assumeTrue(Files.isDirectory(debian), "dataset-fashion-mnist is not installed");
        LabData data = DataSource.load("fashion-mnist", 0, 0, 0);
        assertEquals(60_000, data.train().size());
        assertEquals(10_000, data.test().size());
        assertEquals(28, data.train().height());
        assertEquals(1, data.train().channels());
        int[] fileLabels = rawLabels(debian.resolve("train-labels-idx1-ubyte.gz"));
        assertArrayEquals(Arrays.copyOf(fileLabels, 100), Arrays.copyOf(data.train().labels(), 100),
                "the first 100 labels are the file's");
        int[] counts = new int[10];
        for (int y : fileLabels) {
            counts[y]++;
        }
        assertArrayEquals(counts, data.train().classCounts(), "class counts of the whole file");
        assertArrayEquals(new int[] {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, counts);
        assertTrue(Arrays.stream(data.train().image(0)).anyMatch(v -> v > 0), "image 0 is not blank");
    }

    /** The labels straight from the file, read independently of the loader. */
    private static int[] rawLabels(Path gz) throws IOException {
        try (InputStream raw = Files.newInputStream(gz);
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            assertEquals(0x801, in.readInt());
            int n = in.readInt();
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = in.readUnsignedByte();
            }
            return labels;
        }
    }
}
