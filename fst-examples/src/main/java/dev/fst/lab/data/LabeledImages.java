package dev.fst.lab.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.Arrays;
import java.util.List;

/**
 * Labelled RGB images stored as the raw bytes real datasets ship: 8-bit values, height x width x
 * channel (HWC) order, all images the same size. Attacks work on this form, clipping and truncating
 * to 0..255 as the reference pipeline does; {@link #toDataset} turns it into the (C, H, W) floats in
 * [0, 1] the models read. Instances are immutable.
 */
public final class LabeledImages {

    /** Channels per pixel: always RGB. */
    public static final int CHANNELS = 3;

    private final byte[] pixels;
    private final int[] labels;
    private final int height;
    private final int width;
    private final ImmutableList<String> classNames;

    private LabeledImages(byte[] pixels, int[] labels, int height, int width, List<String> classNames) {
        this.pixels = pixels;
        this.labels = labels;
        this.height = height;
        this.width = width;
        this.classNames = ImmutableList.copyOf(classNames);
    }

    /**
     * Creates a set from raw bytes; the arrays are copied.
     *
     * @param pixels {@code labels.length * height * width * 3} bytes, image after image, HWC
     * @param labels class indices in {@code [0, classNames.size())}
     * @param height image height, {@code >= 1}
     * @param width image width, {@code >= 1}
     * @param classNames one name per class, at least 2
     * @return the set
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     */
    public static LabeledImages of(byte[] pixels, int[] labels, int height, int width, List<String> classNames) {
        return wrap(pixels.clone(), labels.clone(), height, width, classNames);
    }

    /** Creates a set that takes ownership of the arrays (for code that built them). */
    static LabeledImages wrap(byte[] pixels, int[] labels, int height, int width, List<String> classNames) {
        Preconditions.checkArgument(height >= 1 && width >= 1, "image size must be positive but was %sx%s", height, width);
        Preconditions.checkArgument(classNames.size() >= 2, "at least 2 classes are needed but got %s", classNames);
        long expected = (long) labels.length * height * width * CHANNELS;
        Preconditions.checkArgument(pixels.length == expected,
                "%s images of %sx%sx3 need %s bytes but got %s", labels.length, height, width, expected, pixels.length);
        for (int i = 0; i < labels.length; i++) {
            Preconditions.checkArgument(labels[i] >= 0 && labels[i] < classNames.size(),
                    "label of image %s is %s, outside [0, %s)", i, labels[i], classNames.size());
        }
        return new LabeledImages(pixels, labels, height, width, classNames);
    }

    /**
     * Returns the images of {@code first} followed by those of {@code second}.
     *
     * @param first a set
     * @param second a set with the same image size and classes
     * @return a new set
     * @throws IllegalArgumentException if the sizes or classes differ
     */
    public static LabeledImages concat(LabeledImages first, LabeledImages second) {
        Preconditions.checkArgument(first.height == second.height && first.width == second.width,
                "cannot join images of %sx%s and %sx%s", first.height, first.width, second.height, second.width);
        Preconditions.checkArgument(first.classNames.equals(second.classNames),
                "cannot join sets with classes %s and %s", first.classNames, second.classNames);
        byte[] pixels = java.util.Arrays.copyOf(first.pixels, first.pixels.length + second.pixels.length);
        System.arraycopy(second.pixels, 0, pixels, first.pixels.length, second.pixels.length);
        int[] labels = java.util.Arrays.copyOf(first.labels, first.labels.length + second.labels.length);
        System.arraycopy(second.labels, 0, labels, first.labels.length, second.labels.length);
        return new LabeledImages(pixels, labels, first.height, first.width, first.classNames);
    }

    /** @return the number of images */
    public int size() {
        return labels.length;
    }

    /** @return the image height in pixels */
    public int height() {
        return height;
    }

    /** @return the image width in pixels */
    public int width() {
        return width;
    }

    /** @return bytes per image, {@code height * width * 3} */
    public int imageBytes() {
        return height * width * CHANNELS;
    }

    /** @return the class names, index = label */
    public List<String> classNames() {
        return classNames;
    }

    /** @return the number of classes */
    public int classes() {
        return classNames.size();
    }

    /**
     * @param index image index
     * @return its label
     */
    public int label(int index) {
        return labels[index];
    }

    /** @return a copy of all labels */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * Returns one image's values 0..255 in HWC order.
     *
     * @param index image index
     * @return a new array of {@link #imageBytes()} values
     */
    public int[] image(int index) {
        int n = imageBytes();
        int[] out = new int[n];
        int offset = index * n;
        for (int i = 0; i < n; i++) {
            out[i] = pixels[offset + i] & 0xFF;
        }
        return out;
    }

    /**
     * Returns one value.
     *
     * @param index image index
     * @param row row, 0 at the top
     * @param column column, 0 at the left
     * @param channel 0 red, 1 green, 2 blue
     * @return the value 0..255
     */
    public int value(int index, int row, int column, int channel) {
        return pixels[index * imageBytes() + (row * width + column) * CHANNELS + channel] & 0xFF;
    }

    /**
     * Returns the images at {@code indices}, in that order.
     *
     * @param indices image indices, repeats allowed
     * @return a new set
     */
    public LabeledImages select(int[] indices) {
        int n = imageBytes();
        byte[] out = new byte[indices.length * n];
        int[] ys = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * n, out, i * n, n);
            ys[i] = labels[indices[i]];
        }
        return new LabeledImages(out, ys, height, width, classNames);
    }

    /**
     * Returns the indices of the images whose label is, or is not, {@code label}.
     *
     * @param label a class index
     * @param equal {@code true} for images of that class, {@code false} for all others
     * @return ascending indices
     */
    public int[] indicesWhereLabel(int label, boolean equal) {
        return java.util.stream.IntStream.range(0, labels.length).filter(i -> (labels[i] == label) == equal).toArray();
    }

    /**
     * Returns a copy in which some images and labels are replaced.
     *
     * @param replaced indices to replace
     * @param images one HWC image of values (clipped to 0..255 and truncated to integers) per index
     * @param newLabels one label per index
     * @return a new set
     */
    public LabeledImages replace(int[] replaced, List<int[]> images, int[] newLabels) {
        Preconditions.checkArgument(replaced.length == images.size() && replaced.length == newLabels.length,
                "need one image and one label per replaced index");
        byte[] out = pixels.clone();
        int[] ys = labels.clone();
        int n = imageBytes();
        for (int k = 0; k < replaced.length; k++) {
            int[] image = images.get(k);
            Preconditions.checkArgument(image.length == n, "replacement image %s has %s values, expected %s", k, image.length, n);
            for (int i = 0; i < n; i++) {
                out[replaced[k] * n + i] = (byte) Math.max(0, Math.min(255, image[i]));
            }
            ys[replaced[k]] = newLabels[k];
        }
        return wrap(out, ys, height, width, classNames);
    }

    /**
     * Returns a set with the same images and new labels.
     *
     * @param newLabels one label per image
     * @return a new set
     */
    public LabeledImages relabel(int[] newLabels) {
        Preconditions.checkArgument(newLabels.length == labels.length, "need %s labels but got %s", labels.length, newLabels.length);
        return wrap(pixels, newLabels.clone(), height, width, classNames);
    }

    /**
     * Counts images per class.
     *
     * @return one count per class
     */
    public int[] classCounts() {
        int[] counts = new int[classes()];
        for (int y : labels) {
            counts[y]++;
        }
        return counts;
    }

    /**
     * Copies the set into a DJL dataset of (3, H, W) float images in [0, 1] and integer labels.
     *
     * @param manager owns the dataset's arrays
     * @return a dataset in index order
     */
    public RandomAccessDataset toDataset(NDManager manager) {
        NDArray x = toArray(manager);
        NDArray y = manager.create(labels);
        return new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(256, false).build();
    }

    /**
     * Copies the images into one (N, 3, H, W) float array with values in [0, 1].
     *
     * @param manager owns the array
     * @return the images
     */
    public NDArray toArray(NDManager manager) {
        Preconditions.checkState(size() > 0, "the image set is empty");
        int hw = height * width;
        float[] chw = new float[pixels.length];
        for (int img = 0; img < labels.length; img++) {
            int base = img * hw * CHANNELS;
            for (int p = 0; p < hw; p++) {
                for (int c = 0; c < CHANNELS; c++) {
                    chw[base + c * hw + p] = (pixels[base + p * CHANNELS + c] & 0xFF) / 255f;
                }
            }
        }
        return manager.create(chw, new Shape(labels.length, CHANNELS, height, width));
    }

    @Override
    public String toString() {
        return size() + " images " + height + "x" + width + " in " + classes() + " classes " + Arrays.toString(classCounts());
    }
}
