package dev.fst.lab.attack;

/**
 * Blended (Chen et al. 2017): {@code x' = (1 - r) x + r T} over the whole image with a fixed
 * pattern {@code T}, for training and test alike; dirty-label. The reference blends the Hello-Kitty
 * picture, which cannot be shipped; as the reference notes recommend, {@code T} here is a fixed
 * seeded uniform-noise RGB image (Chen et al.'s "random pattern" key), so absolute ASR numbers differ
 * from the paper's.
 */
public final class Blended extends AbstractAttack {

    /** The reference blend ratio. */
    public static final double DEFAULT_RATIO = 0.2;

    /** The seed of the default pattern. */
    public static final long DEFAULT_PATTERN_SEED = 20_231_003L;

    private final double ratio;
    private final SizeMemo<double[]> patterns;

    /**
     * Creates the attack with ratio 0.2 and the default pattern.
     *
     * @param target the target class, {@code >= 0}
     */
    public Blended(int target) {
        this(target, DEFAULT_RATIO, DEFAULT_PATTERN_SEED);
    }

    /**
     * Creates the attack.
     *
     * @param target the target class, {@code >= 0}
     * @param ratio the blend ratio, in (0, 1]
     * @param patternSeed the seed of the noise pattern
     */
    public Blended(int target, double ratio, long patternSeed) {
        super("blended", target, false);
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("blend ratio must be in (0, 1] but was " + ratio);
        }
        this.ratio = ratio;
        this.patterns = new SizeMemo<>((h, w, c) -> noisePattern(h, w, c, patternSeed));
    }

    /**
     * Returns the pattern for an RGB image size.
     *
     * @param height image height
     * @param width image width
     * @return HWC values 0..255
     */
    public double[] pattern(int height, int width) {
        return pattern(height, width, 3);
    }

    /**
     * Returns the pattern for an image shape: seeded uniform noise with one value per pixel and
     * channel (a grayscale pattern for grayscale images).
     *
     * @param height image height
     * @param width image width
     * @param channels channels per pixel
     * @return HWC values 0..255
     */
    public double[] pattern(int height, int width, int channels) {
        return patterns.get(height, width, channels).clone();
    }

    @Override
    protected double[] trigger(int[] image, int height, int width) {
        double[] pattern = patterns.get(height, width, channels(image, height, width));
        double[] out = new double[image.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (1 - ratio) * image[i] + ratio * pattern[i];
        }
        return out;
    }
}
