package dev.fst.lab.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads an image folder with one sub-folder per class (the sub-folder's name is the class name,
 * classes in sorted order), either as {@code DIR/train/<class>/*} and {@code DIR/test/<class>/*}
 * or as {@code DIR/<class>/*}, in which case every fifth image of each class (sorted by file name)
 * is held out as the test set. Files ending in .png, .jpg, .jpeg, .bmp, .gif or .ppm are read;
 * images are resized to {@code size x size} by area averaging.
 */
public final class ImageFolder {

    /** The image file extensions read. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "ppm");

    private ImageFolder() {}

    /**
     * Loads the folder.
     *
     * @param root the folder
     * @param size the side images are resized to, {@code >= 8}
     * @return train and test sets
     * @throws IOException naming the folder or file that is missing, empty or unreadable
     */
    public static LabData load(Path root, int size) throws IOException {
        if (size < 8) {
            throw new IllegalArgumentException("image size must be >= 8 but was " + size);
        }
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist; expected one sub-folder per class "
                    + "(or train/ and test/ each with one sub-folder per class)");
        }
        Path train = root.resolve("train");
        Path test = root.resolve("test");
        if (Files.isDirectory(train) && Files.isDirectory(test)) {
            List<String> names = classes(train);
            List<String> testNames = classes(test);
            if (!names.equals(testNames)) {
                throw new IOException("class folders differ: " + train + " has " + names + " but " + test + " has "
                        + testNames);
            }
            return new LabData("folder:" + root, list(train, names).decode(size, names, train.toString()),
                    list(test, names).decode(size, names, test.toString()));
        }
        List<String> names = classes(root);
        ImageList[] split = list(root, names).splitEveryFifth(names.size());
        return new LabData("folder:" + root, split[0].decode(size, names, root + " (training split)"),
                split[1].decode(size, names, root + " (held-out split)"));
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

    private static ImageList list(Path dir, List<String> names) throws IOException {
        ImageList out = new ImageList();
        for (int label = 0; label < names.size(); label++) {
            Path classDir = dir.resolve(names.get(label));
            List<Path> files;
            try (Stream<Path> s = Files.list(classDir)) {
                files = s.filter(Files::isRegularFile).filter(ImageFolder::isImage).sorted().toList();
            }
            if (files.isEmpty()) {
                throw new IOException("class folder " + classDir + " holds no image files (expected "
                        + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
            }
            for (Path f : files) {
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
