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
 * Labelled images stored as the raw bytes real datasets ship: 8-bit values, height x width x
 * channel (HWC) order, all images the same size and channel count (3 for RGB, 1 for grayscale).
 * Attacks work on this form, clipping and truncating to 0..255 as the reference pipeline does;
 * {@link #toDataset} turns it into the (C, H, W) floats in [0, 1] the models read. Instances are
 * immutable.
 */
public final class LabeledImages {

    /** Channels per pixel of an RGB set, the default of {@link #of(byte[], int[], int, int, List)}. */
    public static final int CHANNELS = 3;

    private final byte[] pixels;
    private final int[] labels;
    private final int height;
    private final int width;
    private final int channels;
    private final ImmutableList<String> classNames;

    private LabeledImages(byte[] pixels, int[] labels, int height, int width, int channels, List<String> classNames) {
        this.pixels = pixels;
        this.labels = labels;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.classNames = ImmutableList.copyOf(classNames);
    }

    /**
     * Creates an RGB set from raw bytes; the arrays are copied.
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
        return of(pixels, labels, height, width, CHANNELS, classNames);
    }

    /**
     * Creates a set from raw bytes; the arrays are copied.
     *
     * @param pixels {@code labels.length * height * width * channels} bytes, image after image, HWC
     * @param labels class indices in {@code [0, classNames.size())}
     * @param height image height, {@code >= 1}
     * @param width image width, {@code >= 1}
     * @param channels channels per pixel, {@code >= 1} (1 gray, 3 RGB)
     * @param classNames one name per class, at least 2
     * @return the set
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     */
    public static LabeledImages of(byte[] pixels, int[] labels, int height, int width, int channels,
            List<String> classNames) {
        return wrap(pixels.clone(), labels.clone(), height, width, channels, classNames);
    }

    /** Creates an RGB set that takes ownership of the arrays (for code that built them). */
    static LabeledImages wrap(byte[] pixels, int[] labels, int height, int width, List<String> classNames) {
        return wrap(pixels, labels, height, width, CHANNELS, classNames);
    }

    /** Creates a set that takes ownership of the arrays (for code that built them). */
    static LabeledImages wrap(byte[] pixels, int[] labels, int height, int width, int channels,
            List<String> classNames) {
        Preconditions.checkArgument(height >= 1 && width >= 1, "image size must be positive but was %sx%s", height, width);
        Preconditions.checkArgument(channels >= 1, "images need at least one channel but had %s", channels);
        Preconditions.checkArgument(classNames.size() >= 2, "at least 2 classes are needed but got %s", classNames);
        long expected = (long) labels.length * height * width * channels;
        Preconditions.checkArgument(pixels.length == expected,
                "%s images of %sx%sx%s need %s bytes but got %s", labels.length, height, width, channels, expected,
                pixels.length);
        for (int i = 0; i < labels.length; i++) {
            Preconditions.checkArgument(labels[i] >= 0 && labels[i] < classNames.size(),
                    "label of image %s is %s, outside [0, %s)", i, labels[i], classNames.size());
        }
        return new LabeledImages(pixels, labels, height, width, channels, classNames);
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
        Preconditions.checkArgument(first.height == second.height && first.width == second.width
                        && first.channels == second.channels, "cannot join images of %sx%sx%s and %sx%sx%s",
                first.height, first.width, first.channels, second.height, second.width, second.channels);
        Preconditions.checkArgument(first.classNames.equals(second.classNames),
                "cannot join sets with classes %s and %s", first.classNames, second.classNames);
        byte[] pixels = java.util.Arrays.copyOf(first.pixels, first.pixels.length + second.pixels.length);
        System.arraycopy(second.pixels, 0, pixels, first.pixels.length, second.pixels.length);
        int[] labels = java.util.Arrays.copyOf(first.labels, first.labels.length + second.labels.length);
        System.arraycopy(second.labels, 0, labels, first.labels.length, second.labels.length);
        return new LabeledImages(pixels, labels, first.height, first.width, first.channels, first.classNames);
    }

    /**
     * Returns the set with another channel count and image size, counting the changes: gray to
     * RGB repeats the value, RGB to gray takes the luma, sizes change by area averaging.
     *
     * @param targetChannels 1 or 3
     * @param size the new height and width
     * @param conversions counts what was changed
     * @return this set when nothing changes, else a converted copy
     */
    public LabeledImages converted(int targetChannels, int size, ImageConversions conversions) {
        if (targetChannels == channels && size == height && size == width) {
            for (int i = 0; i < labels.length; i++) {
                conversions.record(Raster.of(this, i), targetChannels, size);
            }
            return this;
        }
        int bytes = size * size * targetChannels;
        byte[] out = new byte[Math.multiplyExact(labels.length, bytes)];
        for (int i = 0; i < labels.length; i++) {
            Raster original = Raster.of(this, i);
            conversions.record(original, targetChannels, size);
            int[] values = original.withChannels(targetChannels).resize(size, size).pixels();
            for (int k = 0; k < bytes; k++) {
                out[i * bytes + k] = (byte) values[k];
            }
        }
        return new LabeledImages(out, labels.clone(), size, size, targetChannels, classNames);
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

    /** @return channels per pixel: 3 for RGB, 1 for grayscale */
    public int channels() {
        return channels;
    }

    /** @return bytes per image, {@code height * width * channels} */
    public int imageBytes() {
        return height * width * channels;
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
     * @param channel 0 red, 1 green, 2 blue; 0 for grayscale
     * @return the value 0..255
     */
    public int value(int index, int row, int column, int channel) {
        return pixels[index * imageBytes() + (row * width + column) * channels + channel] & 0xFF;
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
        return new LabeledImages(out, ys, height, width, channels, classNames);
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
        return wrap(out, ys, height, width, channels, classNames);
    }

    /**
     * Returns a set with the same images and new labels.
     *
     * @param newLabels one label per image
     * @return a new set
     */
    public LabeledImages relabel(int[] newLabels) {
        Preconditions.checkArgument(newLabels.length == labels.length, "need %s labels but got %s", labels.length, newLabels.length);
        return wrap(pixels, newLabels.clone(), height, width, channels, classNames);
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
     * Copies the set into a DJL dataset of (C, H, W) float images in [0, 1] and integer labels.
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
     * Copies the images into one (N, C, H, W) float array with values in [0, 1].
     *
     * @param manager owns the array
     * @return the images
     */
    public NDArray toArray(NDManager manager) {
        Preconditions.checkState(size() > 0, "the image set is empty");
        int hw = height * width;
        float[] chw = new float[pixels.length];
        for (int img = 0; img < labels.length; img++) {
            int base = img * hw * channels;
            for (int p = 0; p < hw; p++) {
                for (int c = 0; c < channels; c++) {
                    chw[base + c * hw + p] = (pixels[base + p * channels + c] & 0xFF) / 255f;
                }
            }
        }
        return manager.create(chw, new Shape(labels.length, channels, height, width));
    }

    @Override
    public String toString() {
        return size() + " images " + (channels == 1 ? "1x" : channels == CHANNELS ? "" : channels + "x") + height
                + "x" + width + " in " + classes() + " classes " + Arrays.toString(classCounts());
    }
}
