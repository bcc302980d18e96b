package dev.fst.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.SequenceSampler;
import ai.djl.translate.TranslateException;
import com.google.common.base.Preconditions;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import dev.fst.data.Augmentation;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

/**
 * Labelled images held in memory as CHW float values, read once from a DJL {@link
 * RandomAccessDataset} in index order with the dataset's own pipeline applied.
 *
 * <p>Tuning sets are small (the FST paper tunes on 2% of CIFAR-10, about 1,000 to 2,500 images, 12
 * to 30 MB), so holding them on the Java heap keeps batching, shuffling and augmentation
 * deterministic and cheap; each batch is copied to the device in its own {@link NDManager}.
 * Instances are immutable.
 */
public final class ImageSet {

    private static final int READ_BATCH = 256;

    private final float[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;

    private ImageSet(float[] pixels, int[] labels, int channels, int height, int width) {
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /**
     * Reads every record of {@code dataset}, in index order, into memory.
     *
     * <p>Each record's data must be one image of shape (C, H, W) (as DJL's {@code ToTensor} yields)
     * and its label one integer class index.
     *
     * @param dataset the images; prepared here if needed
     * @param manager a manager for the temporary arrays of the read; nothing stays attached to it
     * @return the images and labels
     * @throws IllegalArgumentException if the dataset is empty, an image is not (C, H, W), images
     *     differ in shape, a label is not a single integer, or the dataset cannot be read
     */
    public static ImageSet read(RandomAccessDataset dataset, NDManager manager) {
        Preconditions.checkNotNull(dataset, "data must not be null");
        try {
            dataset.prepare();
        } catch (IOException | TranslateException e) {
            throw new IllegalArgumentException("could not prepare the dataset: " + e.getMessage(), e);
        }
        long size = dataset.size();
        if (size <= 0) {
            throw new IllegalArgumentException("the dataset is empty: it holds no images");
        }
        Preconditions.checkArgument(
                size <= Integer.MAX_VALUE / 4, "the dataset is too large to hold: %s images", size);
        int n = (int) size;
        int[] labels = new int[n];
        float[] pixels = null;
        int[] chw = null;
        int filled = 0;
        try (NDManager scope = manager.newSubManager()) {
            Iterable<Batch> batches =
                    dataset.getData(scope, new BatchSampler(new SequenceSampler(), READ_BATCH, false));
            for (Batch batch : batches) {
                try (batch) {
                    NDArray x = batch.getData().head();
                    NDArray y = batch.getLabels().head();
                    Shape xs = x.getShape();
                    if (xs.dimension() != 4) {
                        throw new IllegalArgumentException(
                                "each image must have shape (C, H, W) but a batch of images had shape "
                                        + xs);
                    }
                    int b = (int) xs.get(0);
                    int[] shape = {(int) xs.get(1), (int) xs.get(2), (int) xs.get(3)};
                    if (chw == null) {
                        checkChannelsFirst(shape);
                        chw = shape;
                        pixels = new float[allocation(n, shape)];
                    } else if (!Arrays.equals(chw, shape)) {
                        throw new IllegalArgumentException(
                                "all images must have the same shape but image "
                                        + filled
                                        + " has shape "
                                        + new Shape(shape[0], shape[1], shape[2])
                                        + " and image 0 has "
                                        + new Shape(chw[0], chw[1], chw[2]));
                    }
                    if (y.size() != b) {
                        throw new IllegalArgumentException(
                                "each image needs one integer class label but a batch of "
                                        + b
                                        + " images had labels of shape "
                                        + y.getShape());
                    }
                    float[] values = x.toType(DataType.FLOAT32, false).toFloatArray();
                    System.arraycopy(values, 0, pixels, filled * (values.length / b), values.length);
                    double[] ys = y.toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int i = 0; i < b; i++) {
                        double label = ys[i];
                        if (label != Math.rint(label) || Math.abs(label) > Integer.MAX_VALUE) {
                            throw new IllegalArgumentException(
                                    "labels must be integer class indices but image "
                                            + (filled + i)
                                            + " has label "
                                            + label);
                        }
                        labels[filled + i] = (int) label;
                    }
                    filled += b;
                }
            }
        } catch (IOException | TranslateException e) {
            throw new IllegalArgumentException("could not read the dataset: " + e.getMessage(), e);
        }
        if (filled != n) {
            throw new IllegalArgumentException(
                    "the dataset reported " + n + " images but yielded " + filled);
        }
        return new ImageSet(pixels, labels, chw[0], chw[1], chw[2]);
    }

    private static int allocation(int n, int[] shape) {
        long values = (long) n * shape[0] * shape[1] * shape[2];
        if (values > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "the dataset is too large to hold in memory: "
                            + n
                            + " images of shape "
                            + new Shape(shape[0], shape[1], shape[2]));
        }
        return (int) values;
    }

    private static void checkChannelsFirst(int[] shape) {
        boolean looksHwc = shape[2] <= 4 && shape[0] > 4;
        if (looksHwc) {
            throw new IllegalArgumentException(
                    "images must be channels-first (C, H, W) floats but have shape "
                            + new Shape(shape[0], shape[1], shape[2])
                            + ", which looks like (H, W, C): add ToTensor to the dataset pipeline");
        }
    }

    /**
     * Returns the number of images.
     *
     * @return the size, at least 1
     */
    public int size() {
        return labels.length;
    }

    /**
     * Returns the shape of one image.
     *
     * @return (C, H, W)
     */
    public Shape imageShape() {
        return new Shape(channels, height, width);
    }

    /**
     * Returns the label of one image.
     *
     * @param index image index in {@code [0, size())}
     * @return its class index
     */
    public int label(int index) {
        return labels[index];
    }

    /**
     * Returns the smallest and largest label.
     *
     * @return {min, max}
     */
    public int[] labelRange() {
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int label : labels) {
            min = Math.min(min, label);
            max = Math.max(max, label);
        }
        return new int[] {min, max};
    }

    /**
     * Returns the index of the first image whose label lies outside {@code [0, classes)}.
     *
     * @param classes number of classes
     * @return an image index, or {@code -1} if all labels are valid
     */
    public int firstLabelOutside(int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Builds one batch as device arrays: images (B, C, H, W) float32 and labels (B) int64.
     *
     * @param manager owner of the new arrays; the caller closes it after the step
     * @param order image indices
     * @param from first position in {@code order}
     * @param to position after the last one in {@code order}
     * @param augmentation augmentation applied to each image
     * @param random source of the augmentation's randomness
     * @return images and labels
     */
    public NDList batch(
            NDManager manager,
            int[] order,
            int from,
            int to,
            Augmentation augmentation,
            Random random) {
        return batch(manager, order, from, to, augmentation, random, new BatchStaging(false));
    }

    /**
     * Builds one batch as device arrays through a reusable {@link BatchStaging}, which also fixes
     * the memory order (channels-last or not); the values are those of {@link #batch(NDManager,
     * int[], int, int, Augmentation, Random)}.
     *
     * @param manager owner of the new arrays; the caller closes it after the step
     * @param order image indices
     * @param from first position in {@code order}
     * @param to position after the last one in {@code order}
     * @param augmentation augmentation applied to each image
     * @param random source of the augmentation's randomness
     * @param staging reusable memory and the memory order; not shared between threads
     * @return images (B, C, H, W) float32 and labels (B) int64
     */
    public NDList batch(
            NDManager manager,
            int[] order,
            int from,
            int to,
            Augmentation augmentation,
            Random random,
            BatchStaging staging) {
        int b = to - from;
        int size = channels * height * width;
        float[] x = staging.values(b * size);
        long[] y = new long[b];
        for (int i = 0; i < b; i++) {
            int index = order[from + i];
            augmentation.apply(pixels, index * size, channels, height, width, x, i * size, random);
            y[i] = labels[index];
        }
        NDArray images = staging.images(manager, x, b, channels, height, width);
        NDArray targets = staging.labels(manager, y);
        return new NDList(images, targets);
    }

    /**
     * Returns the identity order {@code 0, 1, ..., size() - 1}.
     *
     * @return a new array
     */
    public int[] indexOrder() {
        int[] order = new int[labels.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        return order;
    }

    /**
     * Returns how many images each class has.
     *
     * @param classes the number of classes, {@code >} every label
     * @return counts indexed by class
     */
    public int[] classHistogram(int classes) {
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * Returns the SHA-256 of the images' shape, pixel values (float32, little-endian, in (C, H, W)
     * order) and labels, in index order, as 64 hex digits: equal for the same images and labels
     * in the same order, whatever dataset class delivered them.
     *
     * @return the hash
     */
    @SuppressWarnings("UnstableApiUsage")
    public String contentHash() {
        Hasher hasher = Hashing.sha256().newHasher();
        hasher.putInt(labels.length).putInt(channels).putInt(height).putInt(width);
        int values = labels.length * channels * height * width;
        for (int i = 0; i < values; i++) {
            hasher.putFloat(pixels[i]);
        }
        for (int label : labels) {
            hasher.putInt(label);
        }
        return hasher.hash().toString();
    }
}
