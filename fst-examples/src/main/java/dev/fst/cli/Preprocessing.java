package dev.fst.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.lab.data.LabeledImages;
import java.util.Arrays;

/**
 * How images become model input: resized to {@code size x size} when loaded, scaled to [0, 1], then
 * {@code (x - mean) / std} per RGB channel. The defaults are CIFAR-10's statistics, the
 * normalisation of the FST reference's models.
 *
 * @param mean per-channel mean, three values
 * @param std per-channel standard deviation, three positive values
 * @param size image side in pixels, {@code >= 8}
 */
public record Preprocessing(double[] mean, double[] std, int size) {

    /** CIFAR-10's per-channel mean. */
    public static final double[] CIFAR_MEAN = {0.4914, 0.4822, 0.4465};

    /** CIFAR-10's per-channel standard deviation. */
    public static final double[] CIFAR_STD = {0.2470, 0.2435, 0.2616};

    /**
     * Validates the settings.
     *
     * @param mean see the record description
     * @param std see the record description
     * @param size see the record description
     * @throws IllegalArgumentException naming the option that is wrong
     */
    public Preprocessing {
        if (mean == null || mean.length != 3) {
            throw new IllegalArgumentException("--mean needs three comma-separated values (R,G,B)");
        }
        if (std == null || std.length != 3 || Arrays.stream(std).anyMatch(s -> !(s > 0))) {
            throw new IllegalArgumentException("--std needs three comma-separated values > 0 (R,G,B)");
        }
        if (size < 8) {
            throw new IllegalArgumentException("--size must be >= 8 but was " + size);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Converts images into a normalised dataset.
     *
     * @param images 8-bit images of this size
     * @param manager owns the arrays
     * @return (N, 3, size, size) float32 images with their labels
     */
    public RandomAccessDataset toDataset(LabeledImages images, NDManager manager) {
        NDArray x = images.toArray(manager);
        NDArray m = manager.create(toFloats(mean), new Shape(1, 3, 1, 1));
        NDArray s = manager.create(toFloats(std), new Shape(1, 3, 1, 1));
        NDArray normalised = x.sub(m).div(s);
        return new ArrayDataset.Builder().setData(normalised).optLabels(manager.create(images.labels()))
                .setSampling(256, false).build();
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + ", size " + size;
    }
}
