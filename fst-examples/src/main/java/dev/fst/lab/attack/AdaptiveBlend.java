package dev.fst.lab.attack;

import java.util.Random;

/**
 * Adaptive-Blend (Qi et al., ICLR 2023), dirty-label with cover samples: the trigger pattern is cut
 * into {@code pieces} equal blocks (16 = a 4 x 4 grid) and every poisoned or cover training image
 * gets a fresh random half of them ({@code maskRate} 0.5 of the pieces dropped), blended as {@code x
 * + alpha * mask * (T - x)} with {@code alpha = 0.2}. Poisoned images are relabelled to the target;
 * an equal number of disjoint cover images (by default; {@code coverRatio}) keep their true labels.
 * Test images get the full, unmasked trigger. The Hello-Kitty pattern of the original is replaced
 * by a seeded noise image, as for {@link Blended}.
 */
public final class AdaptiveBlend extends AbstractAttack {

    /** The original blend strength. */
    public static final double DEFAULT_ALPHA = 0.2;

    /** The original number of pieces (a 4 x 4 grid). */
    public static final int DEFAULT_PIECES = 16;

    /** The original fraction of pieces dropped per training sample. */
    public static final double DEFAULT_MASK_RATE = 0.5;

    /** Seed of the default pattern. */
    public static final long DEFAULT_PATTERN_SEED = 20_230_501L;

    private final double alpha;
    private final int side;
    private final double maskRate;
    private final double coverRatio;
    private final SizeMemo<double[]> patterns;

    /**
     * Creates the attack with the original settings and one cover sample per poisoned sample.
     *
     * @param target the target class, {@code >= 0}
     */
    public AdaptiveBlend(int target) {
        this(target, DEFAULT_ALPHA, DEFAULT_PIECES, DEFAULT_MASK_RATE, 1.0, DEFAULT_PATTERN_SEED);
    }

    /**
     * Creates the attack.
     *
     * @param target the target class, {@code >= 0}
     * @param alpha blend strength, in (0, 1]
     * @param pieces number of pieces, a square number {@code >= 4}
     * @param maskRate fraction of pieces dropped per training sample, in [0, 1)
     * @param coverRatio cover samples per poisoned sample, {@code >= 0}
     * @param patternSeed the seed of the noise pattern
     */
    public AdaptiveBlend(int target, double alpha, int pieces, double maskRate, double coverRatio, long patternSeed) {
        super("adaptive-blend", target, false);
        int side = (int) Math.round(Math.sqrt(pieces));
        if (!(alpha > 0 && alpha <= 1) || pieces < 4 || side * side != pieces || !(maskRate >= 0 && maskRate < 1)
                || !(coverRatio >= 0)) {
            throw new IllegalArgumentException("Adaptive-Blend needs alpha in (0, 1], a square number of pieces >= 4, "
                    + "mask rate in [0, 1), cover ratio >= 0 but got " + alpha + ", " + pieces + ", " + maskRate + ", "
                    + coverRatio);
        }
        this.alpha = alpha;
        this.side = side;
        this.maskRate = maskRate;
        this.coverRatio = coverRatio;
        this.patterns = new SizeMemo<>((h, w, c) -> noisePattern(h, w, c, patternSeed));
    }

    /**
     * Returns the pattern for an image size.
     *
     * @param height image height
     * @param width image width
     * @return HWC values 0..255
     */
    public double[] pattern(int height, int width) {
        return patterns.get(height, width, 3).clone();
    }

    /**
     * Draws a piece mask: {@code round(pieces * maskRate)} pieces dropped.
     *
     * @param random the random source
     * @return {@code true} for each kept piece, row-major over the grid of pieces
     */
    public boolean[] drawMask(Random random) {
        int pieces = side * side;
        int drop = (int) Math.round(pieces * maskRate);
        boolean[] keep = new boolean[pieces];
        java.util.Arrays.fill(keep, true);
        for (int dropped = 0; dropped < drop; ) {
            int p = random.nextInt(pieces);
            if (keep[p]) {
                keep[p] = false;
                dropped++;
            }
        }
        return keep;
    }

    /**
     * Blends the pattern into the kept pieces.
     *
     * @param image HWC values 0..255
     * @param height image height
     * @param width image width
     * @param keep kept pieces from {@link #drawMask}, or {@code null} for the full trigger
     * @return the blended image
     */
    public double[] blend(int[] image, int height, int width, boolean[] keep) {
        int channels = channels(image, height, width);
        double[] pattern = patterns.get(height, width, channels);
        double[] out = new double[image.length];
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                int piece = (r * side / height) * side + c * side / width;
                boolean on = keep == null || keep[piece];
                for (int ch = 0; ch < channels; ch++) {
                    int k = (r * width + c) * channels + ch;
                    out[k] = on ? image[k] + alpha * (pattern[k] - image[k]) : image[k];
                }
            }
        }
        return out;
    }

    @Override
    protected double[] trigger(int[] image, int height, int width) {
        return blend(image, height, width, null);
    }

    @Override
    protected double[] trainingTrigger(int[] image, int height, int width, Random random) {
        return blend(image, height, width, drawMask(random));
    }

    @Override
    protected int coverCount(int poisoned) {
        return (int) Math.round(poisoned * coverRatio);
    }

    @Override
    protected double[] coverTrigger(int[] image, int height, int width, Random random) {
        return blend(image, height, width, drawMask(random));
    }
}
