package dev.fst.lab.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each loader reads tiny files in its exact distribution format, written here, back exactly. */
class LoadersTest {

    @TempDir
    Path dir;

    private static int[] randomImage(Random random, int h, int w) {
        int[] rgb = new int[h * w * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = random.nextInt(256);
        }
        return rgb;
    }

    // ---- CIFAR-10 binary

    private static byte[] cifarRecords(int[][] images, int[] labels) {
        byte[] out = new byte[images.length * Cifar10Binary.RECORD];
        for (int k = 0; k < images.length; k++) {
            int base = k * Cifar10Binary.RECORD;
            out[base] = (byte) labels[k];
            for (int p = 0; p < 1024; p++) {
                for (int c = 0; c < 3; c++) {
                    out[base + 1 + c * 1024 + p] = (byte) images[k][p * 3 + c];
                }
            }
        }
        return out;
    }

    private void writeCifar(Random random, int[][][] images, int[][] labels) throws IOException {
        for (int b = 0; b < 6; b++) {
            int n = 2;
            images[b] = new int[n][];
            labels[b] = new int[n];
            for (int k = 0; k < n; k++) {
                images[b][k] = randomImage(random, 32, 32);
                labels[b][k] = random.nextInt(10);
            }
            String name = b < 5 ? "data_batch_" + (b + 1) + ".bin" : "test_batch.bin";
            Files.write(dir.resolve(name), cifarRecords(images[b], labels[b]));
        }
    }

    @Test
    void cifar10_readsRecordsBackExactly() throws IOException {
        Random random = new Random(1);
        int[][][] images = new int[6][][];
        int[][] labels = new int[6][];
        writeCifar(random, images, labels);
        LabData data = Cifar10Binary.load(dir);
        assertEquals(10, data.train().size());
        assertEquals(2, data.test().size());
        assertEquals(Cifar10Binary.CLASS_NAMES, data.train().classNames());
        for (int b = 0; b < 5; b++) {
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(images[b][k], data.train().image(b * 2 + k));
                assertEquals(labels[b][k], data.train().label(b * 2 + k));
            }
        }
        assertArrayEquals(images[5][1], data.test().image(1));
        // the red plane comes first in a record, so pixel (0, 1) red is byte 1 + 1
        byte[] raw = Files.readAllBytes(dir.resolve("test_batch.bin"));
        assertEquals(raw[2] & 0xFF, data.test().value(0, 0, 1, 0));
        assertEquals(raw[1 + 1024 + 33] & 0xFF, data.test().value(0, 1, 1, 1));
    }

    @Test
    void cifar10_writtenFile_readsBackExactly(@TempDir Path folder) throws IOException {
        LabeledImages images = SyntheticCifar.images(12, 3);
        Path file = folder.resolve("tuning.bin");
        Cifar10Binary.write(images, file);
        assertEquals(12L * Cifar10Binary.RECORD, Files.size(file));
        LabeledImages back = Cifar10Binary.read(List.of(file), Cifar10Binary.CLASS_NAMES);
        assertArrayEquals(images.labels(), back.labels());
        for (int i = 0; i < 12; i++) {
            assertArrayEquals(images.image(i), back.image(i), "image " + i);
        }
        LabeledImages small = LabeledImages.of(new byte[16 * 16 * 3], new int[] {1}, 16, 16, Cifar10Binary.CLASS_NAMES);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cifar10Binary.write(small, file));
        assertEquals("CIFAR-10 records hold 32x32 images but these are 16x16", e.getMessage());
    }

    @Test
    void cifar10_malformedFiles_nameTheFile() throws IOException {
        Random random = new Random(2);
        writeCifar(random, new int[6][][], new int[6][]);
        Files.write(dir.resolve("data_batch_3.bin"), new byte[Cifar10Binary.RECORD + 5]);
        IOException size = assertThrows(IOException.class, () -> Cifar10Binary.load(dir));
        assertTrue(size.getMessage().contains("data_batch_3.bin") && size.getMessage().contains("3073"), size.getMessage());
        byte[] badLabel = new byte[Cifar10Binary.RECORD];
        badLabel[0] = 12;
        Files.write(dir.resolve("data_batch_3.bin"), badLabel);
        IOException label = assertThrows(IOException.class, () -> Cifar10Binary.load(dir));
        assertTrue(label.getMessage().contains("label 12"), label.getMessage());
        Files.delete(dir.resolve("data_batch_3.bin"));
        IOException missing = assertThrows(IOException.class, () -> Cifar10Binary.load(dir));
        assertTrue(missing.getMessage().contains("missing CIFAR-10 batch file") && missing.getMessage().contains("data_batch_3.bin"),
                missing.getMessage());
        IOException noDir = assertThrows(IOException.class, () -> Cifar10Binary.load(dir.resolve("nope")));
        assertTrue(noDir.getMessage().contains("does not exist"), noDir.getMessage());
    }

    // ---- GTSRB

    private static void writePpm(Path file, int h, int w, int[] rgb) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("P6\n# written by the test\n" + w + " " + h + "\n255\n").getBytes(StandardCharsets.US_ASCII));
        for (int v : rgb) {
            out.write(v);
        }
        Files.write(file, out.toByteArray());
    }

    private int[][] writeGtsrb(Random random) throws IOException {
        int[][] images = new int[10][];
        for (int c = 0; c < 2; c++) {
            Path classDir = Files.createDirectories(dir.resolve(String.format("Final_Training/Images/%05d", c)));
            StringBuilder csv = new StringBuilder("Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n");
            for (int k = 0; k < 5; k++) {
                String name = String.format("00000_%05d.ppm", k);
                images[c * 5 + k] = randomImage(random, 32, 32);
                writePpm(classDir.resolve(name), 32, 32, images[c * 5 + k]);
                csv.append(name).append(";32;32;5;5;27;27;").append(c).append('\n');
            }
            Files.writeString(classDir.resolve(String.format("GT-%05d.csv", c)), csv);
        }
        return images;
    }

    @Test
    void gtsrb_readsPpmImagesBackExactly_andHoldsOutEveryFifth() throws IOException {
        int[][] images = writeGtsrb(new Random(3));
        LabData data = Gtsrb.load(dir);
        assertEquals(List.of("sign-00", "sign-01"), data.train().classNames());
        assertEquals(8, data.train().size());
        assertEquals(2, data.test().size());
        assertArrayEquals(images[0], data.train().image(0));
        assertArrayEquals(images[3], data.train().image(3));
        assertArrayEquals(images[4], data.test().image(0));
        assertArrayEquals(images[9], data.test().image(1));
        assertEquals(1, data.test().label(1));
    }

    @Test
    void gtsrb_officialTestCsv_isUsedAndImagesAreResizedTo32() throws IOException {
        writeGtsrb(new Random(4));
        Path testDir = Files.createDirectories(dir.resolve("Final_Test/Images"));
        int[] big = new int[64 * 64 * 3];
        java.util.Arrays.fill(big, 77);
        writePpm(testDir.resolve("00000.ppm"), 64, 64, big);
        Files.writeString(testDir.resolve("GT-final_test.csv"),
                "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n00000.ppm;64;64;5;5;59;59;1\n");
        LabData data = Gtsrb.load(dir);
        assertEquals(10, data.train().size());
        assertEquals(1, data.test().size());
        assertEquals(32, data.test().height());
        assertTrue(java.util.Arrays.stream(data.test().image(0)).allMatch(v -> v == 77));
    }

    @Test
    void gtsrb_malformedFiles_nameTheFileAndExpectation() throws IOException {
        writeGtsrb(new Random(5));
        Path csv = dir.resolve("Final_Training/Images/00001/GT-00001.csv");
        Files.writeString(csv, "Name;ClassId\nx.ppm;1\n");
        IOException header = assertThrows(IOException.class, () -> Gtsrb.load(dir));
        assertTrue(header.getMessage().contains("GT-00001.csv") && header.getMessage().contains("Filename"), header.getMessage());
        Files.writeString(csv, "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\nmissing.ppm;32;32;5;5;27;27;1\n");
        IOException image = assertThrows(IOException.class, () -> Gtsrb.load(dir));
        assertTrue(image.getMessage().contains("missing.ppm") && image.getMessage().contains("does not exist"), image.getMessage());
        Files.writeString(csv, "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n00000_00000.ppm;32;32;5;5;27;27;1\n");
        Files.writeString(dir.resolve("Final_Training/Images/00001/00000_00000.ppm"), "P3\n1 1\n255\n0 0 0\n");
        IOException ppm = assertThrows(IOException.class, () -> Gtsrb.load(dir));
        assertTrue(ppm.getMessage().contains("00000_00000.ppm") && ppm.getMessage().contains("P6"), ppm.getMessage());
        Files.delete(csv);
        IOException missing = assertThrows(IOException.class, () -> Gtsrb.load(dir));
        assertTrue(missing.getMessage().contains("GT-00001.csv"), missing.getMessage());
        IOException noDir = assertThrows(IOException.class, () -> Gtsrb.load(dir.resolve("elsewhere")));
        assertTrue(noDir.getMessage().contains("Final_Training"), noDir.getMessage());
    }

    // ---- image folder

    private static void writePng(Path file, int h, int w, int[] rgb) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                int k = (r * w + c) * 3;
                image.setRGB(c, r, (rgb[k] << 16) | (rgb[k + 1] << 8) | rgb[k + 2]);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }

    @Test
    void imageFolder_trainAndTestFolders_readBackExactly() throws IOException {
        Random random = new Random(6);
        int[] cat = randomImage(random, 32, 32);
        int[] dog = randomImage(random, 32, 32);
        int[] dogTest = randomImage(random, 32, 32);
        writePng(dir.resolve("train/cat/a.png"), 32, 32, cat);
        writePng(dir.resolve("train/dog/b.png"), 32, 32, dog);
        writePng(dir.resolve("test/cat/c.png"), 32, 32, randomImage(random, 32, 32));
        writePng(dir.resolve("test/dog/d.png"), 32, 32, dogTest);
        Files.writeString(dir.resolve("train/dog/notes.txt"), "not an image");
        LabData data = ImageFolder.load(dir, 32);
        assertEquals(List.of("cat", "dog"), data.train().classNames());
        assertEquals(2, data.train().size());
        assertArrayEquals(cat, data.train().image(0));
        assertArrayEquals(dog, data.train().image(1));
        assertEquals(1, data.train().label(1));
        assertArrayEquals(dogTest, data.test().image(1));
    }

    @Test
    void imageFolder_flatLayout_holdsOutEveryFifthPerClass() throws IOException {
        Random random = new Random(7);
        for (String c : List.of("a", "b")) {
            for (int k = 0; k < 5; k++) {
                writePng(dir.resolve(c + "/" + k + ".png"), 16, 16, randomImage(random, 16, 16));
            }
        }
        LabData data = ImageFolder.load(dir, 32);
        assertEquals(8, data.train().size());
        assertEquals(2, data.test().size());
        assertEquals(32, data.train().width());
    }

    @Test
    void imageFolder_badLayouts_nameTheFolder() throws IOException {
        Files.createDirectories(dir.resolve("only"));
        writePng(dir.resolve("only/x.png"), 8, 8, new int[8 * 8 * 3]);
        IOException one = assertThrows(IOException.class, () -> ImageFolder.load(dir, 32));
        assertTrue(one.getMessage().contains("at least 2"), one.getMessage());
        Files.createDirectories(dir.resolve("empty"));
        IOException empty = assertThrows(IOException.class, () -> ImageFolder.load(dir, 32));
        assertTrue(empty.getMessage().contains("empty") && empty.getMessage().contains("no image files"), empty.getMessage());
        Files.writeString(dir.resolve("empty/broken.png"), "not really a png");
        IOException broken = assertThrows(IOException.class, () -> ImageFolder.load(dir, 32));
        assertTrue(broken.getMessage().contains("broken.png"), broken.getMessage());
    }

    @Test
    void dataSource_badSpecs_areExplained() {
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> DataSource.load("imagenet:/x", 10, 10, 1));
        assertTrue(kind.getMessage().contains("fashion-mnist[:DIR], mnist:DIR") && kind.getMessage().contains("cifar10:DIR"),
                kind.getMessage());
        IllegalArgumentException noDir = assertThrows(IllegalArgumentException.class, () -> DataSource.load("gtsrb:", 10, 10, 1));
        assertTrue(noDir.getMessage().contains("needs a directory"), noDir.getMessage());
    }
}
