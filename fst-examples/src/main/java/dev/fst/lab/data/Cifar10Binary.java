package dev.fst.lab.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CIFAR-10 in its binary distribution format ({@code cifar-10-batches-bin}): {@code
 * data_batch_1.bin} .. {@code data_batch_5.bin} and {@code test_batch.bin}, each a sequence of
 * 3,073-byte records (one label byte 0..9, then 1,024 red, 1,024 green and 1,024 blue bytes of a
 * 32x32 image, row-major). Class names come from {@code batches.meta.txt} when present.
 */
public final class Cifar10Binary {

    /** Bytes per record. */
    public static final int RECORD = 1 + 3 * 32 * 32;

    /** CIFAR-10's class names. */
    public static final List<String> CLASS_NAMES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private Cifar10Binary() {}

    /**
     * Loads the five training batches and the test batch.
     *
     * @param directory the folder holding the {@code .bin} files
     * @return train (50,000 images for the full set) and test (10,000)
     * @throws IOException naming the missing or malformed file and what was expected
     */
    public static LabData load(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException("CIFAR-10 directory " + directory + " does not exist; expected a folder with "
                    + "data_batch_1.bin .. data_batch_5.bin and test_batch.bin");
        }
        List<String> names = classNames(directory.resolve("batches.meta.txt"));
        List<Path> train = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            train.add(directory.resolve("data_batch_" + i + ".bin"));
        }
        return new LabData("cifar10:" + directory, read(train, names), read(List.of(directory.resolve("test_batch.bin")), names));
    }

    /**
     * Reads records from binary batch files.
     *
     * @param files the batch files, read in order
     * @param names the class names (10)
     * @return the images
     * @throws IOException naming the file if one is missing, not a whole number of records, or has a
     *     label outside 0..9
     */
    public static LabeledImages read(List<Path> files, List<String> names) throws IOException {
        List<byte[]> contents = new ArrayList<>();
        long records = 0;
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new IOException("missing CIFAR-10 batch file " + file + " (expected " + RECORD
                        + "-byte records: label byte + 3072 RGB plane bytes)");
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length == 0 || bytes.length % RECORD != 0) {
                throw new IOException("malformed CIFAR-10 batch file " + file + ": " + bytes.length
                        + " bytes is not a positive multiple of the " + RECORD + "-byte record");
            }
            contents.add(bytes);
            records += bytes.length / RECORD;
        }
        int n = Math.toIntExact(records);
        byte[] pixels = new byte[n * 3072];
        int[] labels = new int[n];
        int index = 0;
        for (int f = 0; f < contents.size(); f++) {
            byte[] bytes = contents.get(f);
            for (int offset = 0; offset < bytes.length; offset += RECORD, index++) {
                int label = bytes[offset] & 0xFF;
                if (label >= names.size()) {
                    throw new IOException("malformed CIFAR-10 batch file " + files.get(f) + ": record "
                            + (offset / RECORD) + " has label " + label + ", expected 0.." + (names.size() - 1));
                }
                labels[index] = label;
                for (int p = 0; p < 1024; p++) {
                    for (int c = 0; c < 3; c++) {
                        pixels[index * 3072 + p * 3 + c] = bytes[offset + 1 + c * 1024 + p];
                    }
                }
            }
        }
        return LabeledImages.wrap(pixels, labels, 32, 32, names);
    }

    /**
     * Writes images as one CIFAR-10 binary batch file, the format {@link #read} reads: per image one
     * label byte, then the red, green and blue planes, row-major.
     *
     * @param images 32x32 RGB images with labels in 0..255
     * @param file the file to write; replaced if it exists
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the images are not 32x32 or a label does not fit a byte
     */
    public static void write(LabeledImages images, Path file) throws IOException {
        if (images.height() != 32 || images.width() != 32) {
            throw new IllegalArgumentException("CIFAR-10 records hold 32x32 images but these are "
                    + images.height() + "x" + images.width());
        }
        byte[] bytes = new byte[images.size() * RECORD];
        for (int index = 0; index < images.size(); index++) {
            int label = images.label(index);
            if (label < 0 || label > 255) {
                throw new IllegalArgumentException("image " + index + " has label " + label
                        + ", which does not fit the record's label byte (0..255)");
            }
            int offset = index * RECORD;
            bytes[offset] = (byte) label;
            int[] hwc = images.image(index);
            for (int p = 0; p < 1024; p++) {
                for (int c = 0; c < 3; c++) {
                    bytes[offset + 1 + c * 1024 + p] = (byte) hwc[p * 3 + c];
                }
            }
        }
        Files.write(file, bytes);
    }

    private static List<String> classNames(Path meta) throws IOException {
        if (!Files.isRegularFile(meta)) {
            return CLASS_NAMES;
        }
        List<String> names = Files.readAllLines(meta, StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (names.size() != 10) {
            throw new IOException("malformed " + meta + ": expected 10 class names, one per line, but found "
                    + names.size());
        }
        return names;
    }
}
