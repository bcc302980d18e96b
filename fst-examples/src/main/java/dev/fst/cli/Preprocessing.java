package dev.fst.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.lab.data.LabeledImages;
import java.util.Arrays;

/**
 * How images become model input: converted to the model's channel count and resized to {@code
 * size x size} when loaded, scaled to [0, 1], then {@code (x - mean) / std} per channel. Without
 * {@code --mean} and {@code --std} the statistics are CIFAR-10's for RGB models and
 * Fashion-MNIST's for grayscale ones; {@code --mean 0 --std 1} leaves the [0, 1] values as they are.
 *
 * @param mean per-channel mean, one value per channel
 * @param std per-channel standard deviation, one positive value per channel
 * @param channels image channels, 1 or 3
 * @param size image side in pixels, {@code >= 8}
 */
public record Preprocessing(double[] mean, double[] std, int channels, int size) {

    /** CIFAR-10's per-channel mean. */
    public static final double[] CIFAR_MEAN = {0.4914, 0.4822, 0.4465};

    /** CIFAR-10's per-channel standard deviation. */
    public static final double[] CIFAR_STD = {0.2470, 0.2435, 0.2616};

    /** Fashion-MNIST's mean, for grayscale models. */
    public static final double[] FASHION_MNIST_MEAN = {0.2860};

    /** Fashion-MNIST's standard deviation, for grayscale models. */
    public static final double[] FASHION_MNIST_STD = {0.3530};

    /**
     * Validates the settings.
     *
     * @param mean see the record description
     * @param std see the record description
     * @param channels see the record description
     * @param size see the record description
     * @throws IllegalArgumentException naming the option that is wrong
     */
    public Preprocessing {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("--channels must be 1 or 3 but was " + channels);
        }
        String values = channels == 1 ? "one value" : "three comma-separated values (R,G,B)";
        if (mean == null || mean.length != channels || Arrays.stream(mean).anyMatch(m -> !Double.isFinite(m))) {
            throw new IllegalArgumentException("--mean needs " + values + " for a " + channels + "-channel model but was "
                    + Arrays.toString(mean));
        }
        if (std == null || std.length != channels || Arrays.stream(std).anyMatch(s -> !(s > 0) || !Double.isFinite(s))) {
            throw new IllegalArgumentException("--std needs " + values + " > 0 for a " + channels + "-channel model but"
                    + " was " + Arrays.toString(std));
        }
        if (size < 8) {
            throw new IllegalArgumentException("--size must be >= 8 but was " + size);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Returns the default statistics for a channel count: CIFAR-10's for 3, Fashion-MNIST's for 1.
     *
     * @param mean the user's mean, or {@code null}
     * @param std the user's standard deviation, or {@code null}
     * @param channels 1 or 3
     * @param size the image side
     * @return the preprocessing
     */
    public static Preprocessing of(double[] mean, double[] std, int channels, int size) {
        double[] m = mean != null ? mean : channels == 1 ? FASHION_MNIST_MEAN : CIFAR_MEAN;
        double[] s = std != null ? std : channels == 1 ? FASHION_MNIST_STD : CIFAR_STD;
        return new Preprocessing(m, s, channels, size);
    }

    /**
     * Converts images into a normalised dataset.
     *
     * @param images 8-bit images of this size and channel count
     * @param manager owns the arrays
     * @return (N, channels, size, size) float32 images with their labels
     */
    public RandomAccessDataset toDataset(LabeledImages images, NDManager manager) {
        NDArray x = images.toArray(manager);
        NDArray m = manager.create(toFloats(mean), new Shape(1, channels, 1, 1));
        NDArray s = manager.create(toFloats(std), new Shape(1, channels, 1, 1));
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
        return "mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + ", " + channels + "x" + size + "x"
                + size;
    }
}
