package dev.fst.lab.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the German Traffic Sign Recognition Benchmark in its distribution layout: {@code
 * Final_Training/Images/000CC/GT-000CC.csv} per class {@code CC} (semicolon-separated, header
 * {@code Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId}) next to the {@code .ppm}
 * images it lists. Whole images (not the ROI) are resized to 32x32 by area averaging, as the FST
 * reference pipeline resizes them.
 *
 * <p>The test set is {@code Final_Test/Images/GT-final_test.csv} (same columns, with {@code
 * ClassId}) when present; otherwise every fifth training image of each class is held out as the
 * test set.
 */
public final class Gtsrb {

    /** Image size after resizing. */
    public static final int SIZE = 32;

    private Gtsrb() {}

    /**
     * Loads the training images and the test images.
     *
     * @param root the folder holding {@code Final_Training} (and optionally {@code Final_Test})
     * @return train and test sets, classes named {@code sign-00} .. {@code sign-NN}
     * @throws IOException naming the missing or malformed file and what was expected
     */
    public static LabData load(Path root) throws IOException {
        Path images = root.resolve("Final_Training").resolve("Images");
        if (!Files.isDirectory(images)) {
            throw new IOException("GTSRB folder " + images + " does not exist; expected "
                    + "<dir>/Final_Training/Images/000CC/GT-000CC.csv with the .ppm images of class CC");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(images)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classDirs.isEmpty()) {
            throw new IOException(images + " holds no class folders; expected 00000, 00001, ...");
        }
        ImageList all = new ImageList();
        int maxClass = -1;
        for (Path dir : classDirs) {
            String id = dir.getFileName().toString();
            Path csv = dir.resolve("GT-" + id + ".csv");
            if (!Files.isRegularFile(csv)) {
                throw new IOException("missing GTSRB annotation file " + csv
                        + " (expected 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId' rows)");
            }
            maxClass = Math.max(maxClass, readCsv(csv, dir, all));
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c <= maxClass; c++) {
            names.add(String.format("sign-%02d", c));
        }
        Path testCsv = root.resolve("Final_Test").resolve("Images").resolve("GT-final_test.csv");
        LabeledImages train;
        LabeledImages test;
        if (Files.isRegularFile(testCsv)) {
            ImageList testList = new ImageList();
            int testMax = readCsv(testCsv, testCsv.getParent(), testList);
            if (testMax > maxClass) {
                throw new IOException(testCsv + " has ClassId " + testMax + " but the training set's classes end at "
                        + maxClass);
            }
            train = all.decode(SIZE, names, images.toString());
            test = testList.decode(SIZE, names, testCsv.toString());
        } else {
            ImageList[] split = all.splitEveryFifth(names.size());
            train = split[0].decode(SIZE, names, images + " (training split)");
            test = split[1].decode(SIZE, names, images + " (held-out split)");
        }
        return new LabData("gtsrb:" + root, train, test);
    }

    /** Adds the rows of one annotation file; returns the largest ClassId seen. */
    private static int readCsv(Path csv, Path folder, ImageList out) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new IOException(csv + " is empty; expected a header 'Filename;...;ClassId' and one row per image");
        }
        List<String> header = Arrays.asList(lines.get(0).strip().split(";"));
        int fileColumn = header.indexOf("Filename");
        int classColumn = header.indexOf("ClassId");
        if (fileColumn < 0 || classColumn < 0) {
            throw new IOException(csv + ": header '" + lines.get(0).strip()
                    + "' lacks the Filename or ClassId column (expected 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;"
                    + "Roi.Y2;ClassId')");
        }
        int max = -1;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] cells = line.split(";");
            if (cells.length != header.size()) {
                throw new IOException(csv + " line " + (i + 1) + ": expected " + header.size() + " ';'-separated cells but found "
                        + cells.length + ": '" + line + "'");
            }
            int label;
            try {
                label = Integer.parseInt(cells[classColumn].strip());
            } catch (NumberFormatException e) {
                throw new IOException(csv + " line " + (i + 1) + ": ClassId '" + cells[classColumn] + "' is not a number");
            }
            if (label < 0) {
                throw new IOException(csv + " line " + (i + 1) + ": ClassId " + label + " is negative");
            }
            Path image = folder.resolve(cells[fileColumn].strip());
            if (!Files.isRegularFile(image)) {
                throw new IOException(csv + " line " + (i + 1) + ": image file " + image + " does not exist");
            }
            out.add(image, label);
            max = Math.max(max, label);
        }
        return max;
    }
}
