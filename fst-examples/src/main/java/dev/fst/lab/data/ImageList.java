package dev.fst.lab.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Image files with labels, decoded, converted and resized into a {@link LabeledImages}. */
final class ImageList {

    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();

    void add(Path file, int label) {
        files.add(file);
        labels.add(label);
    }

    int size() {
        return files.size();
    }

    /** Returns the number of images of each class. */
    int[] classCounts(int classes) {
        int[] counts = new int[classes];
        for (int y : labels) {
            counts[y]++;
        }
        return counts;
    }

    /** Splits off every fifth image of each class (the 5th, 10th, ...) as a test list. */
    ImageList[] splitEveryFifth(int classes) {
        ImageList train = new ImageList();
        ImageList test = new ImageList();
        int[] seen = new int[classes];
        for (int i = 0; i < files.size(); i++) {
            int y = labels.get(i);
            (++seen[y] % 5 == 0 ? test : train).add(files.get(i), y);
        }
        return new ImageList[] {train, test};
    }

    /** Returns this list followed by {@code other}. */
    ImageList concat(ImageList other) {
        ImageList all = new ImageList();
        all.files.addAll(files);
        all.labels.addAll(labels);
        all.files.addAll(other.files);
        all.labels.addAll(other.labels);
        return all;
    }

    /**
     * Returns the most common image size among the files, read from their headers.
     *
     * @return {height, width}
     * @throws IOException naming a file whose header cannot be read
     */
    int[] commonSize() throws IOException {
        java.util.Map<java.util.List<Integer>, Integer> counts = new java.util.HashMap<>();
        for (Path file : files) {
            int[] hw = Raster.readSize(file);
            counts.merge(java.util.List.of(hw[0], hw[1]), 1, Integer::sum);
        }
        java.util.List<Integer> best = counts.entrySet().stream()
                .max(java.util.Map.Entry.<java.util.List<Integer>, Integer>comparingByValue())
                .map(java.util.Map.Entry::getKey).orElse(java.util.List.of(32, 32));
        return new int[] {best.get(0), best.get(1)};
    }

    /** Decodes every file as RGB of {@code size x size}, counting what was changed. */
    LabeledImages decode(int size, List<String> classNames, String what, ImageConversions conversions)
            throws IOException {
        return decode(size, LabeledImages.CHANNELS, classNames, what, conversions);
    }

    /** Decodes every file with {@code channels} channels at {@code size x size}, counting what was changed. */
    LabeledImages decode(int size, int channels, List<String> classNames, String what,
            ImageConversions conversions) throws IOException {
        if (files.isEmpty()) {
            throw new IOException(what + " holds no images");
        }
        int bytes = size * size * channels;
        byte[] pixels = new byte[Math.multiplyExact(files.size(), bytes)];
        int[] ys = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Raster original = Raster.read(files.get(i));
            conversions.record(original, channels, size);
            Raster image = original.withChannels(channels).resize(size, size);
            for (int k = 0; k < bytes; k++) {
                pixels[i * bytes + k] = (byte) image.pixels()[k];
            }
            ys[i] = labels.get(i);
        }
        return LabeledImages.wrap(pixels, ys, size, size, channels, classNames);
    }

    /** Decodes every file as RGB of {@code size x size}. */
    LabeledImages decode(int size, List<String> classNames, String what) throws IOException {
        return decode(size, classNames, what, new ImageConversions());
    }
}
