package dev.fst.lab.data;

import com.google.common.base.Preconditions;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A CIFAR-10-like synthetic dataset: 10 classes of 32x32 RGB images, deterministic from a seed.
 *
 * <p>Class {@code k} is a shape family ({@link #CLASS_NAMES}: disk, ring, triangle, square, cross,
 * star, crescent, hourglass, corner, chevron). Every image draws, from its own seeded random source:
 *
 * <ul>
 *   <li>a background: a two-colour gradient, low-frequency colour noise and, for 55% of images, a
 *       stripe or checker texture of random orientation, frequency and strength;
 *   <li>clutter: zero to three small shapes of random families (radius 2 to 4.5 pixels);
 *   <li>the object: radius 6.5 to 12.5 pixels, any rotation, anisotropic stretch up to 1.25, centre
 *       up to 5 pixels off the middle, a random colour kept distinguishable from the background,
 *       linear shading and, for 30% of objects, an inner stripe texture; edges antialiased;
 *   <li>an occluder for 35% of images: an opaque rectangle of random colour over part of the object;
 *   <li>a global contrast and brightness change and Gaussian pixel noise (sigma 0 to 14 grey
 *       levels), then clipping and rounding to 8 bits.
 * </ul>
 *
 * <p>Labels cycle through the classes ({@code label = index % 10}), so every class has the same
 * count up to one. Image {@code i} depends only on the seed and {@code i}, so generation runs in
 * parallel and any prefix of a larger set is the smaller set. Train and test sets use different
 * seed streams. Measured difficulty is in {@code docs/lab.md}.
 */
public final class SyntheticCifar {

    /** Image height and width. */
    public static final int SIZE = 32;

    /** The class names, index = label. */
    public static final List<String> CLASS_NAMES = List.of(Shapes.NAMES);

    private static final long TEST_STREAM = 0x7E57_5E7L;

    private SyntheticCifar() {}

    /**
     * Generates a train and a test set.
     *
     * @param train training images, {@code >= 1}
     * @param test test images, {@code >= 1}
     * @param seed the seed
     * @return both sets
     */
    public static LabData generate(int train, int test, long seed) {
        return new LabData("synthetic(seed=" + seed + ")", images(train, seed), images(test, seed ^ TEST_STREAM));
    }

    /**
     * Generates {@code count} images from one seed stream.
     *
     * @param count the number of images, {@code >= 1}
     * @param seed the stream's seed
     * @return the images
     */
    public static LabeledImages images(int count, long seed) {
        Preconditions.checkArgument(count >= 1, "count must be >= 1 but was %s", count);
        int bytes = SIZE * SIZE * 3;
        byte[] pixels = new byte[count * bytes];
        int[] labels = new int[count];
        IntStream.range(0, count).parallel().forEach(i -> {
            labels[i] = i % CLASS_NAMES.size();
            float[] img = render(labels[i], new SplittableRandom(mix(seed, i)));
            for (int k = 0; k < bytes; k++) {
                pixels[i * bytes + k] = (byte) Math.round(Math.max(0, Math.min(255, img[k])));
            }
        });
        return LabeledImages.wrap(pixels, labels, SIZE, SIZE, CLASS_NAMES);
    }

    private static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Renders one image as HWC floats on the 0..255 scale. */
    static float[] render(int family, SplittableRandom rnd) {
        float[] img = new float[SIZE * SIZE * 3];
        background(img, rnd);
        int clutter = rnd.nextInt(4);
        for (int k = 0; k < clutter; k++) {
            double[] colour = colour(rnd);
            drawShape(img, rnd.nextInt(CLASS_NAMES.size()), rnd.nextDouble(2, 4.5), rnd.nextDouble(0, 2 * Math.PI),
                    1, rnd.nextDouble(0, SIZE), rnd.nextDouble(0, SIZE), colour, null, rnd);
        }
        double radius = rnd.nextDouble(6.5, 12.5);
        double cx = SIZE / 2.0 + rnd.nextDouble(-5, 5);
        double cy = SIZE / 2.0 + rnd.nextDouble(-5, 5);
        double[] mean = meanColour(img, cx, cy, radius);
        double[] colour = colour(rnd);
        for (int tries = 0; tries < 10 && distance(colour, mean) < 70; tries++) {
            colour = colour(rnd);
        }
        double[] stripes = rnd.nextDouble() < 0.3
                ? new double[] {rnd.nextDouble(0, Math.PI), rnd.nextDouble(0.6, 1.6), rnd.nextDouble(15, 35)}
                : null;
        drawShape(img, family, radius, rnd.nextDouble(0, 2 * Math.PI), rnd.nextDouble(0.8, 1.25), cx, cy, colour,
                stripes, rnd);
        if (rnd.nextDouble() < 0.35) {
            occlude(img, cx, cy, radius, colour(rnd), rnd);
        }
        double contrast = rnd.nextDouble(0.75, 1.15);
        double brightness = rnd.nextDouble(-20, 20);
        double sigma = rnd.nextDouble(0, 14);
        for (int k = 0; k < img.length; k++) {
            img[k] = (float) ((img[k] - 128) * contrast + 128 + brightness + sigma * gaussian(rnd));
        }
        return img;
    }

    private static void background(float[] img, SplittableRandom rnd) {
        double[] c1 = colour(rnd);
        double[] c2 = colour(rnd);
        double angle = rnd.nextDouble(0, 2 * Math.PI);
        double ca = Math.cos(angle);
        double sa = Math.sin(angle);
        double[][] grid = new double[6][6];
        for (double[] row : grid) {
            for (int j = 0; j < row.length; j++) {
                row[j] = rnd.nextDouble(-1, 1);
            }
        }
        double noiseAmp = rnd.nextDouble(0, 50);
        double[] tint = colour(rnd);
        int texture = rnd.nextDouble() < 0.45 ? 0 : rnd.nextDouble() < 0.65 ? 1 : 2;
        double tAngle = rnd.nextDouble(0, Math.PI);
        double freq = rnd.nextDouble(0.4, 1.5);
        double tAmp = rnd.nextDouble(10, 45);
        double phase = rnd.nextDouble(0, 2 * Math.PI);
        double[] tColour = colour(rnd);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double u = (x - 15.5) / 31.0;
                double v = (y - 15.5) / 31.0;
                double t = 0.5 + u * ca + v * sa;
                double n = bilinear(grid, x / 31.0 * 5, y / 31.0 * 5);
                double tex = switch (texture) {
                    case 1 -> Math.sin(freq * (x * Math.cos(tAngle) + y * Math.sin(tAngle)) + phase);
                    case 2 -> Math.signum(Math.sin(freq * x + phase) * Math.sin(freq * y + phase));
                    default -> 0;
                };
                for (int c = 0; c < 3; c++) {
                    double base = c1[c] + (c2[c] - c1[c]) * Math.max(0, Math.min(1, t));
                    img[(y * SIZE + x) * 3 + c] = (float) (base + noiseAmp * n * (tint[c] / 255.0)
                            + tAmp * tex * (tColour[c] / 255.0 - 0.5));
                }
            }
        }
    }

    private static void drawShape(float[] img, int family, double radius, double rotation, double stretch, double cx,
            double cy, double[] colour, double[] stripes, SplittableRandom rnd) {
        double cos = Math.cos(rotation);
        double sin = Math.sin(rotation);
        double shadeAngle = rnd.nextDouble(0, 2 * Math.PI);
        double shadeStrength = rnd.nextDouble(0, 0.5);
        double reach = radius * Math.max(stretch, 1 / stretch) + 1.5;
        int y0 = (int) Math.max(0, Math.floor(cy - reach));
        int y1 = (int) Math.min(SIZE - 1, Math.ceil(cy + reach));
        int x0 = (int) Math.max(0, Math.floor(cx - reach));
        int x1 = (int) Math.min(SIZE - 1, Math.ceil(cx + reach));
        double scale = radius * Math.min(stretch, 1 / stretch);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double dx = x + 0.5 - cx;
                double dy = y + 0.5 - cy;
                double u = (dx * cos + dy * sin) / (radius * stretch);
                double v = (-dx * sin + dy * cos) / (radius / stretch);
                double alpha = Math.max(0, Math.min(1, 0.5 - Shapes.distance(family, u, v) * scale));
                if (alpha == 0) {
                    continue;
                }
                double shade = 1 + shadeStrength * (u * Math.cos(shadeAngle) + v * Math.sin(shadeAngle));
                double texture = stripes == null ? 0
                        : stripes[2] * Math.sin(stripes[1] * (dx * Math.cos(stripes[0]) + dy * Math.sin(stripes[0])));
                for (int c = 0; c < 3; c++) {
                    int k = (y * SIZE + x) * 3 + c;
                    double value = colour[c] * shade + texture;
                    img[k] = (float) (img[k] * (1 - alpha) + value * alpha);
                }
            }
        }
    }

    private static void occlude(float[] img, double cx, double cy, double radius, double[] colour, SplittableRandom rnd) {
        double w = rnd.nextDouble(3, 10);
        double h = rnd.nextDouble(3, 10);
        double ox = cx + rnd.nextDouble(-radius, radius) - w / 2;
        double oy = cy + rnd.nextDouble(-radius, radius) - h / 2;
        for (int y = Math.max(0, (int) oy); y < Math.min(SIZE, (int) (oy + h)); y++) {
            for (int x = Math.max(0, (int) ox); x < Math.min(SIZE, (int) (ox + w)); x++) {
                for (int c = 0; c < 3; c++) {
                    img[(y * SIZE + x) * 3 + c] = (float) colour[c];
                }
            }
        }
    }

    private static double[] meanColour(float[] img, double cx, double cy, double radius) {
        double[] sum = new double[3];
        int n = 0;
        for (int y = Math.max(0, (int) (cy - radius)); y < Math.min(SIZE, (int) (cy + radius)); y++) {
            for (int x = Math.max(0, (int) (cx - radius)); x < Math.min(SIZE, (int) (cx + radius)); x++) {
                for (int c = 0; c < 3; c++) {
                    sum[c] += img[(y * SIZE + x) * 3 + c];
                }
                n++;
            }
        }
        for (int c = 0; c < 3; c++) {
            sum[c] /= Math.max(1, n);
        }
        return sum;
    }

    private static double[] colour(SplittableRandom rnd) {
        return new double[] {rnd.nextDouble(0, 256), rnd.nextDouble(0, 256), rnd.nextDouble(0, 256)};
    }

    private static double distance(double[] a, double[] b) {
        return Math.sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
    }

    private static double bilinear(double[][] grid, double gx, double gy) {
        int x0 = Math.min((int) gx, grid.length - 2);
        int y0 = Math.min((int) gy, grid.length - 2);
        double fx = gx - x0;
        double fy = gy - y0;
        return grid[y0][x0] * (1 - fx) * (1 - fy) + grid[y0][x0 + 1] * fx * (1 - fy)
                + grid[y0 + 1][x0] * (1 - fx) * fy + grid[y0 + 1][x0 + 1] * fx * fy;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = Math.max(1e-12, rnd.nextDouble());
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
