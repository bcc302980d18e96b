package dev.fst.lab.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Image files with labels, decoded and resized into a {@link LabeledImages}. */
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

    LabeledImages decode(int size, List<String> classNames, String what) throws IOException {
        if (files.isEmpty()) {
            throw new IOException(what + " holds no images");
        }
        int bytes = size * size * 3;
        byte[] pixels = new byte[files.size() * bytes];
        int[] ys = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            RgbImage image = RgbImage.read(files.get(i)).resize(size, size);
            for (int k = 0; k < bytes; k++) {
                pixels[i * bytes + k] = (byte) image.pixels()[k];
            }
            ys[i] = labels.get(i);
        }
        return LabeledImages.wrap(pixels, ys, size, size, classNames);
    }
}
