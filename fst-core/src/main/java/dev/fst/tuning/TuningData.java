package dev.fst.tuning;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * Which data a run trained on, as part of its provenance: enough to tell two tuning sets apart
 * without keeping them.
 *
 * @param count the number of images, the held-out share included
 * @param imageShape the shape of one image, for example {@code (3, 32, 32)}
 * @param classHistogram the number of images of each class, indexed by class
 * @param contentHash SHA-256 of the images' shape, pixel values (float32, in (C, H, W) order) and
 *     labels, in the dataset's index order, as 64 hex digits
 */
public record TuningData(int count, String imageShape, List<Integer> classHistogram, String contentHash) {

    /** Copies the histogram. */
    public TuningData {
        classHistogram = ImmutableList.copyOf(classHistogram);
    }

    @Override
    public String toString() {
        return count + " images " + imageShape + ", per class " + classHistogram + ", sha256 "
                + contentHash.substring(0, Math.min(12, contentHash.length()));
    }
}
