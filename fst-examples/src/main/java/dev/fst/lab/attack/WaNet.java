package dev.fst.lab.attack;

import java.util.Random;

/**
 * WaNet (Nguyen and Tran 2021): an imperceptible, smooth warp of the whole image; dirty-label,
 * with noise-mode ("cross") samples that keep their labels.
 *
 * <p>The warping field is drawn once per attack from its seed: {@code U ~ Uniform(-1, 1)} of shape
 * 2 x k x k, divided by {@code mean(|U|)}, upsampled to H x W bicubically (align corners); the warp
 * grid is {@code clamp(identity + s * U_up / H, -1, 1)} in normalised coordinates (first component =
 * column), applied with bilinear sampling (align corners, zero padding). Noise mode adds a fresh
 * {@code Uniform(-1, 1) / H} to the grid per image. Reference values: k = 4, s = 0.5, cross ratio 2.
 *
 * <p>Difference from the reference: the reference poisons on the fly inside each training batch
 * (the first {@code floor(rate * 128)} images of every batch); this lab poisons a fixed {@code
 * round(rate * N)} images and {@code round(2 * that)} noise-mode images once, like the other
 * attacks, and stores them as 8-bit images.
 */
public final class WaNet extends AbstractAttack {

    /** Reference control-grid size k. */
    public static final int DEFAULT_GRID = 4;

    /** Reference warping strength s. */
    public static final double DEFAULT_STRENGTH = 0.5;

    /** Reference ratio of noise-mode samples to poisoned ones. */
    public static final double DEFAULT_CROSS_RATIO = 2;

    /** Seed of the default warping field. */
    public static final long DEFAULT_FIELD_SEED = 4_2021L;

    private final int grid;
    private final double strength;
    private final double crossRatio;
    private final long fieldSeed;
    private final SizeMemo<double[][][]> grids = new SizeMemo<>((h, w, c) -> computeWarpGrid(h, w));

    /**
     * Creates the attack with the reference settings.
     *
     * @param target the target class, {@code >= 0}
     */
    public WaNet(int target) {
        this(target, DEFAULT_GRID, DEFAULT_STRENGTH, DEFAULT_CROSS_RATIO, DEFAULT_FIELD_SEED);
    }

    /**
     * Creates the attack.
     *
     * @param target the target class, {@code >= 0}
     * @param grid the control-grid size k, {@code >= 2}
     * @param strength the warping strength s, {@code > 0}
     * @param crossRatio noise-mode samples per poisoned sample, {@code >= 0}
     * @param fieldSeed the seed of the warping field
     */
    public WaNet(int target, int grid, double strength, double crossRatio, long fieldSeed) {
        super("wanet", target, false);
        if (grid < 2 || !(strength > 0) || !(crossRatio >= 0)) {
            throw new IllegalArgumentException("WaNet needs k >= 2, s > 0, cross ratio >= 0 but got k=" + grid
                    + ", s=" + strength + ", cross ratio=" + crossRatio);
        }
        this.grid = grid;
        this.strength = strength;
        this.crossRatio = crossRatio;
        this.fieldSeed = fieldSeed;
    }

    /**
     * Returns the warp grid for an image size: {@code [row][column][0 = x, 1 = y]} in normalised
     * coordinates [-1, 1].
     *
     * @param height image height, {@code >= 2}
     * @param width image width, {@code >= 2}
     * @return the grid
     */
    public double[][][] warpGrid(int height, int width) {
        double[][][] grid = grids.get(height, width, 1);
        double[][][] copy = new double[height][width][];
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                copy[i][j] = grid[i][j].clone();
            }
        }
        return copy;
    }

    private double[][][] computeWarpGrid(int height, int width) {
        Random random = new Random(fieldSeed);
        double[][][] control = new double[2][grid][grid];
        double sum = 0;
        for (double[][] plane : control) {
            for (double[] row : plane) {
                for (int j = 0; j < grid; j++) {
                    row[j] = random.nextDouble() * 2 - 1;
                    sum += Math.abs(row[j]);
                }
            }
        }
        double mean = sum / (2.0 * grid * grid);
        double[][][] out = new double[height][width][2];
        for (int c = 0; c < 2; c++) {
            double[][] up = bicubic(control[c], height, width, mean);
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    double identity = c == 0 ? linspace(j, width) : linspace(i, height);
                    out[i][j][c] = clamp(identity + strength * up[i][j] / height);
                }
            }
        }
        return out;
    }

    @Override
    protected double[] trigger(int[] image, int height, int width) {
        return sample(image, height, width, grids.get(height, width, 1));
    }

    @Override
    protected int coverCount(int poisoned) {
        return (int) Math.round(poisoned * crossRatio);
    }

    @Override
    protected double[] coverTrigger(int[] image, int height, int width, Random random) {
        double[][][] g = warpGrid(height, width);
        for (double[][] row : g) {
            for (double[] p : row) {
                p[0] = clamp(p[0] + (random.nextDouble() * 2 - 1) / height);
                p[1] = clamp(p[1] + (random.nextDouble() * 2 - 1) / height);
            }
        }
        return sample(image, height, width, g);
    }

    /** Bilinear grid sampling, align corners, zero padding. */
    static double[] sample(int[] image, int height, int width, double[][][] grid) {
        double[] out = new double[image.length];
        int channels = channels(image, height, width);
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                double x = (grid[i][j][0] + 1) / 2 * (width - 1);
                double y = (grid[i][j][1] + 1) / 2 * (height - 1);
                int x0 = (int) Math.floor(x);
                int y0 = (int) Math.floor(y);
                double fx = x - x0;
                double fy = y - y0;
                for (int c = 0; c < channels; c++) {
                    double v = at(image, height, width, channels, y0, x0, c) * (1 - fx) * (1 - fy)
                            + at(image, height, width, channels, y0, x0 + 1, c) * fx * (1 - fy)
                            + at(image, height, width, channels, y0 + 1, x0, c) * (1 - fx) * fy
                            + at(image, height, width, channels, y0 + 1, x0 + 1, c) * fx * fy;
                    out[(i * width + j) * channels + c] = v;
                }
            }
        }
        return out;
    }

    private static double at(int[] image, int height, int width, int channels, int r, int c, int ch) {
        return r < 0 || c < 0 || r >= height || c >= width ? 0 : image[(r * width + c) * channels + ch];
    }

    /** Bicubic upsampling (a = -0.75, align corners, border clamp), divided by {@code divisor}. */
    private static double[][] bicubic(double[][] src, int height, int width, double divisor) {
        int k = src.length;
        double[][] out = new double[height][width];
        for (int i = 0; i < height; i++) {
            double sy = height == 1 ? 0 : i * (k - 1.0) / (height - 1);
            int y0 = (int) Math.floor(sy);
            double[] wy = cubicWeights(sy - y0);
            for (int j = 0; j < width; j++) {
                double sx = width == 1 ? 0 : j * (k - 1.0) / (width - 1);
                int x0 = (int) Math.floor(sx);
                double[] wx = cubicWeights(sx - x0);
                double v = 0;
                for (int m = 0; m < 4; m++) {
                    int yy = Math.max(0, Math.min(k - 1, y0 - 1 + m));
                    for (int n = 0; n < 4; n++) {
                        int xx = Math.max(0, Math.min(k - 1, x0 - 1 + n));
                        v += wy[m] * wx[n] * src[yy][xx];
                    }
                }
                out[i][j] = v / divisor;
            }
        }
        return out;
    }

    private static double[] cubicWeights(double t) {
        double a = -0.75;
        return new double[] {
            cubicFar(t + 1, a), cubicNear(t, a), cubicNear(1 - t, a), cubicFar(2 - t, a)
        };
    }

    private static double cubicNear(double x, double a) {
        return ((a + 2) * x - (a + 3)) * x * x + 1;
    }

    private static double cubicFar(double x, double a) {
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }

    private static double linspace(int index, int n) {
        return n == 1 ? 0 : -1 + 2.0 * index / (n - 1);
    }

    private static double clamp(double v) {
        return Math.max(-1, Math.min(1, v));
    }
}
