package dev.fst.lab.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads an image folder with one sub-folder per class (the sub-folder's name is the class name,
 * classes in sorted order, as torchvision's {@code ImageFolder} numbers them), either as {@code
 * DIR/train/<class>/*} and {@code DIR/test/<class>/*} or as {@code DIR/<class>/*}, in which case
 * every fifth image of each class (sorted by file name) is held out as the test set. Files ending
 * in .png, .jpg, .jpeg, .bmp, .gif or .ppm are read, other files are skipped and counted; images
 * are converted to RGB and resized to {@code size x size} by area averaging, and what that changed
 * is counted in an {@link ImageConversions}.
 *
 * <p>{@link #scan} lists the files without decoding any, so that a caller can check the classes
 * and estimate the memory the images need before paying for the decoding.
 */
public final class ImageFolder {

    /** The image file extensions read. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "ppm");

    private final Path root;
    private final List<String> classNames;
    private final ImageList train;
    private final ImageList test;
    private final boolean presplit;
    private final int skippedFiles;

    private ImageFolder(Path root, List<String> classNames, ImageList train, ImageList test, boolean presplit,
            int skippedFiles) {
        this.root = root;
        this.classNames = classNames;
        this.train = train;
        this.test = test;
        this.presplit = presplit;
        this.skippedFiles = skippedFiles;
    }

    /**
     * Loads the folder.
     *
     * @param root the folder
     * @param size the side images are resized to, {@code >= 8}
     * @return train and test sets
     * @throws IOException naming the folder or file that is missing, empty or unreadable
     */
    public static LabData load(Path root, int size) throws IOException {
        return scan(root).decodeSplit(size, new ImageConversions());
    }

    /**
     * Lists the folder's classes and image files without decoding them.
     *
     * @param root the folder
     * @return the listing
     * @throws IOException naming the folder that is missing, has fewer than two class folders, or
     *     a class folder without images
     */
    public static ImageFolder scan(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist; expected one sub-folder per class "
                    + "(or train/ and test/ each with one sub-folder per class)");
        }
        Path trainDir = root.resolve("train");
        Path testDir = root.resolve("test");
        int[] skipped = new int[1];
        if (Files.isDirectory(trainDir) && Files.isDirectory(testDir)) {
            List<String> names = classes(trainDir);
            List<String> testNames = classes(testDir);
            if (!names.equals(testNames)) {
                throw new IOException("class folders differ: " + trainDir + " has " + names + " but " + testDir
                        + " has " + testNames);
            }
            return new ImageFolder(root, names, list(trainDir, names, skipped), list(testDir, names, skipped), true,
                    skipped[0]);
        }
        List<String> names = classes(root);
        ImageList all = list(root, names, skipped);
        ImageList[] split = all.splitEveryFifth(names.size());
        return new ImageFolder(root, names, split[0], split[1], false, skipped[0]);
    }

    /**
     * Returns the class names, index = label.
     *
     * @return the sorted sub-folder names
     */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Returns the number of image files.
     *
     * @return train and test files together
     */
    public int size() {
        return train.size() + test.size();
    }

    /**
     * Returns the number of files skipped because they are not images.
     *
     * @return the count
     */
    public int skippedFiles() {
        return skippedFiles;
    }

    /**
     * Returns whether the folder is split into {@code train/} and {@code test/} on disk.
     *
     * @return {@code false} when every fifth image is held out instead
     */
    public boolean presplit() {
        return presplit;
    }

    /**
     * Returns the number of test images of each class: the {@code test/} folder's, or the every
     * fifth image held out of a flat folder (0 for a class with fewer than five images).
     *
     * @return one count per class
     */
    public int[] testCounts() {
        return test.classCounts(classNames.size());
    }

    /**
     * Decodes the train and test sets.
     *
     * @param size the side images are resized to, {@code >= 8}
     * @param conversions counts what decoding changed
     * @return train and test sets
     * @throws IOException naming an unreadable file
     */
    public LabData decodeSplit(int size, ImageConversions conversions) throws IOException {
        return decodeSplit(size, LabeledImages.CHANNELS, conversions);
    }

    /**
     * Decodes the train and test sets with a channel count.
     *
     * @param size the side images are resized to, {@code >= 8}
     * @param channels 1 (images are made grayscale) or 3 (RGB)
     * @param conversions counts what decoding changed
     * @return train and test sets
     * @throws IOException naming an unreadable file
     */
    public LabData decodeSplit(int size, int channels, ImageConversions conversions) throws IOException {
        checkSize(size);
        conversions.skipped(skippedFiles);
        String trainName = presplit ? root.resolve("train").toString() : root + " (training split)";
        String testName = presplit ? root.resolve("test").toString() : root + " (held-out split)";
        return new LabData("folder:" + root, train.decode(size, channels, classNames, trainName, conversions),
                test.decode(size, channels, classNames, testName, conversions));
    }

    /**
     * Returns the most common image size in the folder, read from the files' headers.
     *
     * @return {height, width}
     * @throws IOException naming a file whose header cannot be read
     */
    public int[] commonSize() throws IOException {
        return train.concat(test).commonSize();
    }

    /**
     * Decodes every image of the folder as one set (train and test together).
     *
     * @param size the side images are resized to, {@code >= 8}
     * @param conversions counts what decoding changed
     * @return all images
     * @throws IOException naming an unreadable file
     */
    public LabeledImages decodeAll(int size, ImageConversions conversions) throws IOException {
        return decodeAll(size, LabeledImages.CHANNELS, conversions);
    }

    /**
     * Decodes every image of the folder as one set with a channel count.
     *
     * @param size the side images are resized to, {@code >= 8}
     * @param channels 1 (images are made grayscale) or 3 (RGB)
     * @param conversions counts what decoding changed
     * @return all images
     * @throws IOException naming an unreadable file
     */
    public LabeledImages decodeAll(int size, int channels, ImageConversions conversions) throws IOException {
        checkSize(size);
        conversions.skipped(skippedFiles);
        return train.concat(test).decode(size, channels, classNames, root.toString(), conversions);
    }

    private static void checkSize(int size) {
        if (size < 8) {
            throw new IllegalArgumentException("image size must be >= 8 but was " + size);
        }
    }

    /**
     * Decodes the images under some of the class sub-folders of {@code root}, each labelled by the
     * index of its folder's name in {@code classNames}: for images a user has for some classes only,
     * such as images that carry a trigger, filed under their true classes.
     *
     * @param root the folder
     * @param classNames every class, index = label; the sub-folders must be among them
     * @param size the side images are resized to
     * @param channels 1 or 3
     * @param conversions counts what decoding changed
     * @return the images, with the full list of classes
     * @throws IOException naming the folder that is missing, has no class folder, a class folder
     *     that is not one of {@code classNames}, or no image at all (empty class folders are skipped)
     */
    public static LabeledImages decodeSubset(Path root, List<String> classNames, int size, int channels,
            ImageConversions conversions) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist; expected one sub-folder per class");
        }
        List<String> present;
        try (Stream<Path> s = Files.list(root)) {
            present = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        if (present.isEmpty()) {
            throw new IOException(root + " has no class sub-folders; expected sub-folders named after the classes "
                    + classNames);
        }
        List<String> withImages = new ArrayList<>();
        for (String name : present) {
            if (!classNames.contains(name)) {
                throw new IOException(root + " has a class folder '" + name + "' that is not one of the classes "
                        + classNames);
            }
            try (Stream<Path> files = Files.list(root.resolve(name))) {
                if (files.anyMatch(f -> Files.isRegularFile(f) && isImage(f))) {
                    withImages.add(name); // an empty class folder (the target's, say) holds nothing to decode
                }
            }
        }
        if (withImages.isEmpty()) {
            throw new IOException(root + " holds no image files in its class folders (expected "
                    + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
        }
        return list(root, withImages, classNames, new int[1]).decode(size, channels, classNames, root.toString(),
                conversions);
    }

    private static List<String> classes(Path dir) throws IOException {
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        if (names.size() < 2) {
            throw new IOException(dir + " has " + names.size() + " class sub-folder(s) " + names
                    + "; expected at least 2, one per class");
        }
        return names;
    }

    private static ImageList list(Path dir, List<String> names, int[] skipped) throws IOException {
        return list(dir, names, names, skipped);
    }

    /** Lists the images of the {@code folders} under {@code dir}, each labelled by its index in {@code names}. */
    private static ImageList list(Path dir, List<String> folders, List<String> names, int[] skipped)
            throws IOException {
        ImageList out = new ImageList();
        for (String folder : folders) {
            int label = names.indexOf(folder);
            Path classDir = dir.resolve(folder);
            List<Path> files;
            try (Stream<Path> s = Files.list(classDir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            List<Path> images = new ArrayList<>();
            for (Path f : files) {
                if (isImage(f)) {
                    images.add(f);
                } else {
                    skipped[0]++;
                }
            }
            if (images.isEmpty()) {
                throw new IOException("class folder " + classDir + " holds no image files (expected "
                        + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
            }
            for (Path f : images) {
                out.add(f, label);
            }
        }
        return out;
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1));
    }
}
