package dev.fst.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reusable memory for building mini-batches, and their memory order.
 *
 * <p>DJL's {@code NDManager.create(float[])} copies Java values into a fresh direct {@link
 * ByteBuffer} that the tensor then shares; that buffer is freed only when the garbage collector
 * finds it, so a tuning run leaves one batch-sized native block behind per step until a collection
 * happens (1.5 MiB per batch of 128 CIFAR images). A staging object
 * instead owns one direct buffer and two Java arrays for the whole run: each batch is written into
 * them and copied once into memory libtorch owns and frees when the batch's manager closes.
 *
 * <p>With {@link #channelsLast()} the images of a batch are laid out (B, H, W, C) and handed over
 * as a (B, C, H, W) view, the channels-last order that libtorch's CPU kernels run fastest.
 *
 * <p>Not thread-safe: use one per thread, typically one per tuning run or evaluation.
 */
public final class BatchStaging {

    private final boolean channelsLast;
    private float[] values = new float[0];
    private float[] transposed = new float[0];
    private ByteBuffer direct = ByteBuffer.allocateDirect(0);

    /**
     * Creates an empty staging area; it grows to the largest batch it builds.
     *
     * @param channelsLast whether batches are laid out channels-last
     */
    public BatchStaging(boolean channelsLast) {
        this.channelsLast = channelsLast;
    }

    /**
     * Returns whether batches are laid out channels-last.
     *
     * @return the layout setting
     */
    public boolean channelsLast() {
        return channelsLast;
    }

    /** Returns a Java array of at least {@code n} floats, reused across calls. */
    float[] values(int n) {
        if (values.length < n) {
            values = new float[n];
        }
        return values;
    }

    /**
     * Copies {@code b} CHW images from {@code chw} into one libtorch-owned (B, C, H, W) array,
     * channels-last when so configured.
     */
    NDArray images(NDManager manager, float[] chw, int b, int channels, int height, int width) {
        int n = b * channels * height * width;
        if (!channelsLast) {
            return copy(manager, chw, n, new Shape(b, channels, height, width));
        }
        if (transposed.length < n) {
            transposed = new float[n];
        }
        int plane = height * width;
        int size = channels * plane;
        for (int i = 0; i < b; i++) {
            int base = i * size;
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < plane; p++) {
                    transposed[base + p * channels + c] = chw[base + c * plane + p];
                }
            }
        }
        NDArray hwc = copy(manager, transposed, n, new Shape(b, height, width, channels));
        return hwc.transpose(0, 3, 1, 2);
    }

    /** Copies labels into one libtorch-owned int64 array. */
    NDArray labels(NDManager manager, long[] labels) {
        ByteBuffer buffer = buffer(labels.length * Long.BYTES);
        buffer.asLongBuffer().put(labels);
        return own(manager, buffer, new Shape(labels.length), DataType.INT64);
    }

    private NDArray copy(NDManager manager, float[] source, int n, Shape shape) {
        ByteBuffer buffer = buffer(n * Float.BYTES);
        buffer.asFloatBuffer().put(source, 0, n);
        return own(manager, buffer, shape, DataType.FLOAT32);
    }

    private ByteBuffer buffer(int bytes) {
        if (direct.capacity() < bytes) {
            direct = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        direct.clear();
        direct.limit(bytes);
        return direct;
    }

    /** Wraps the staged bytes (shared with the tensor) and returns a copy libtorch owns. */
    private static NDArray own(NDManager manager, ByteBuffer buffer, Shape shape, DataType type) {
        try (NDArray shared = manager.create(buffer, shape, type)) {
            return shared.duplicate();
        }
    }
}
