package dev.fst.data;

import com.google.common.base.Preconditions;
import java.util.Random;

/**
 * Training-time augmentation applied to every tuning image: a random crop after zero padding, then
 * an optional horizontal flip, as in the CIFAR-10 training transform of the FST reference code
 * ({@code RandomCrop(32, padding=4)} then {@code RandomHorizontalFlip(0.5)}).
 *
 * <p>Padding fills with {@code 0} in the value space the dataset yields: with an un-normalised
 * {@code ToTensor} pipeline that is black, as in the reference; after normalisation it is the mean
 * colour. Instances are immutable and thread-safe; randomness comes from the {@link Random} the
 * caller passes, so a seeded tuning run is reproducible.
 */
public final class Augmentation {

    private static final Augmentation NONE = new Augmentation(0, false);

    private final int padding;
    private final boolean flip;

    private Augmentation(int padding, boolean flip) {
        this.padding = padding;
        this.flip = flip;
    }

    /**
     * The reference CIFAR-10 augmentation: random crop with zero padding 4 and a horizontal flip
     * with probability 0.5. This is the default of every tuner.
     *
     * @return the augmentation
     */
    public static Augmentation cropAndFlip() {
        return new Augmentation(4, true);
    }

    /**
     * A random crop with the given zero padding, optionally followed by a horizontal flip.
     *
     * @param padding pixels of zero padding on each side before cropping back to the original
     *     size; {@code >= 0}
     * @param flip whether to flip horizontally with probability 0.5 (use {@code false} for traffic
     *     signs, as the reference does for GTSRB)
     * @return the augmentation
     * @throws IllegalArgumentException if {@code padding < 0}
     */
    public static Augmentation crop(int padding, boolean flip) {
        Preconditions.checkArgument(padding >= 0, "padding must be >= 0 but was %s", padding);
        return padding == 0 && !flip ? NONE : new Augmentation(padding, flip);
    }

    /**
     * No augmentation: images are used exactly as the dataset yields them.
     *
     * @return the identity augmentation
     */
    public static Augmentation none() {
        return NONE;
    }

    /**
     * Returns whether this augmentation leaves images unchanged.
     *
     * @return {@code true} for {@link #none()}
     */
    public boolean isIdentity() {
        return padding == 0 && !flip;
    }

    /**
     * Returns the zero padding of the random crop.
     *
     * @return pixels per side, {@code 0} for no crop
     */
    public int padding() {
        return padding;
    }

    /**
     * Returns whether images are flipped horizontally with probability 0.5.
     *
     * @return the flip setting
     */
    public boolean flip() {
        return flip;
    }

    /**
     * Writes one augmented CHW image into {@code dst}.
     *
     * @param src source pixels
     * @param srcOffset index of the image's first value in {@code src}
     * @param channels number of channels
     * @param height image height
     * @param width image width
     * @param dst destination
     * @param dstOffset index of the first value to write in {@code dst}
     * @param random source of the crop offsets and the flip decision
     */
    public void apply(
            float[] src,
            int srcOffset,
            int channels,
            int height,
            int width,
            float[] dst,
            int dstOffset,
            Random random) {
        int size = channels * height * width;
        if (isIdentity()) {
            System.arraycopy(src, srcOffset, dst, dstOffset, size);
            return;
        }
        int dy = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        int dx = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        boolean mirror = flip && random.nextBoolean();
        for (int c = 0; c < channels; c++) {
            int plane = c * height * width;
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                for (int x = 0; x < width; x++) {
                    int cx = mirror ? width - 1 - x : x;
                    int sx = cx + dx;
                    float v =
                            sy < 0 || sy >= height || sx < 0 || sx >= width
                                    ? 0f
                                    : src[srcOffset + plane + sy * width + sx];
                    dst[dstOffset + plane + y * width + x] = v;
                }
            }
        }
    }

    @Override
    public String toString() {
        return isIdentity() ? "none" : "crop(padding=" + padding + ", flip=" + flip + ")";
    }
}
