package dev.fst.lab.attack;

import com.google.common.base.Preconditions;
import dev.fst.lab.data.LabeledImages;
import dev.fst.lab.data.Permutations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The poisoning pipeline every attack shares: index selection, trigger application, relabelling
 * and the triggered test set. Subclasses say how a trigger changes one image.
 *
 * <p>Triggers are computed in floating point on the 0..255 scale and stored as 8-bit values by
 * clipping to [0, 255] and truncating, as the reference pipeline does.
 */
public abstract class AbstractAttack implements Attack {

    private final String name;
    private final int target;
    private final boolean cleanLabel;

    /**
     * Creates the attack.
     *
     * @param name the name
     * @param target the target class, {@code >= 0}
     * @param cleanLabel whether labels are kept (see {@link Attack#cleanLabel()})
     */
    protected AbstractAttack(String name, int target, boolean cleanLabel) {
        Preconditions.checkArgument(target >= 0, "target class must be >= 0 but was %s", target);
        this.name = name;
        this.target = target;
        this.cleanLabel = cleanLabel;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int targetClass() {
        return target;
    }

    @Override
    public final boolean cleanLabel() {
        return cleanLabel;
    }

    /**
     * Applies the test-time trigger to one image.
     *
     * @param image HWC values 0..255, any channel count (3 RGB, 1 gray); not modified
     * @param height image height
     * @param width image width
     * @return the triggered image, HWC, on the 0..255 scale (clipped and truncated by the caller)
     */
    protected abstract double[] trigger(int[] image, int height, int width);

    /**
     * Applies the training-time trigger; by default the test-time one.
     *
     * @param image HWC values 0..255; not modified
     * @param height image height
     * @param width image width
     * @param random the run's seeded random source, for per-sample triggers
     * @return the triggered image
     */
    protected double[] trainingTrigger(int[] image, int height, int width, Random random) {
        return trigger(image, height, width);
    }

    /**
     * Returns how many cover samples go with {@code poisoned} poisoned ones; 0 by default.
     *
     * @param poisoned the number of poisoned images
     * @return the number of cover images
     */
    protected int coverCount(int poisoned) {
        return 0;
    }

    /**
     * Changes one cover sample (label kept); called only when {@link #coverCount} is positive.
     *
     * @param image HWC values 0..255; not modified
     * @param height image height
     * @param width image width
     * @param random the run's seeded random source
     * @return the changed image
     */
    protected double[] coverTrigger(int[] image, int height, int width, Random random) {
        throw new UnsupportedOperationException(name + " has no cover samples");
    }

    /**
     * Triggers the selected training images; by default {@link #trainingTrigger} on each. Attacks
     * that need the whole batch at once (Label-Consistent's adversarial step) override this.
     *
     * @param train the training set
     * @param indices the selected images
     * @param random the run's seeded random source
     * @return one triggered image per index
     */
    protected List<double[]> poisonImages(LabeledImages train, int[] indices, Random random) {
        List<double[]> out = new ArrayList<>(indices.length);
        for (int index : indices) {
            out.add(trainingTrigger(train.image(index), train.height(), train.width(), random));
        }
        return out;
    }

    @Override
    public final PoisonedSet poison(LabeledImages train, double rate, long seed) {
        Preconditions.checkArgument(rate > 0 && rate <= 1, "poisoning rate must be in (0, 1] but was %s", rate);
        checkTarget(train);
        int n = (int) Math.round(rate * train.size());
        Preconditions.checkArgument(n >= 1, "poisoning rate %s of %s images rounds to no poisoned image", (Object) rate,
                train.size());
        int[] pool = cleanLabel ? train.indicesWhereLabel(target, true) : IntStream.range(0, train.size()).toArray();
        if (n > pool.length) {
            throw new IllegalArgumentException(String.format(
                    "%s is clean-label: it poisons only images of target class %d, of which the set has %d, "
                            + "but rate %s asks for %d; the largest rate is %.5f",
                    name, target, pool.length, rate, n, (double) pool.length / train.size()));
        }
        Random random = new Random(selectionSeed(seed));
        Permutations.shuffle(pool, random);
        int[] poisoned = Arrays.copyOf(pool, n);
        Arrays.sort(poisoned);
        int[] cover = coverIndices(train.size(), poisoned, random);
        List<double[]> images = new ArrayList<>(poisonImages(train, poisoned, random));
        for (int index : cover) {
            images.add(coverTrigger(train.image(index), train.height(), train.width(), random));
        }
        int[] changed = IntStream.concat(Arrays.stream(poisoned), Arrays.stream(cover)).toArray();
        int[] labels = new int[changed.length];
        for (int k = 0; k < changed.length; k++) {
            labels[k] = k < poisoned.length && !cleanLabel ? target : train.label(changed[k]);
        }
        LabeledImages out = train.replace(changed, quantize(images), labels);
        return new PoisonedSet(out, poisoned, cover, name, rate);
    }

    /**
     * The seed of the poisoned-image selection, derived from the run's seed by a SplitMix64 step.
     * Using the run's seed itself would correlate the selection with any other permutation drawn
     * from {@code new Random(seed)} over the same number of images: the tuning loop's shuffle is
     * one, and with it every poisoned image landed in the first batches of the first training epoch.
     */
    static long selectionSeed(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private int[] coverIndices(int size, int[] poisoned, Random random) {
        int count = coverCount(poisoned.length);
        if (count == 0) {
            return new int[0];
        }
        boolean[] taken = new boolean[size];
        for (int p : poisoned) {
            taken[p] = true;
        }
        int[] rest = IntStream.range(0, size).filter(i -> !taken[i]).toArray();
        Preconditions.checkArgument(count <= rest.length, "%s needs %s cover images but only %s images are left",
                name, count, rest.length);
        Permutations.shuffle(rest, random);
        int[] cover = Arrays.copyOf(rest, count);
        Arrays.sort(cover);
        return cover;
    }

    @Override
    public final LabeledImages triggeredTestSet(LabeledImages test) {
        checkTarget(test);
        int[] nonTarget = test.indicesWhereLabel(target, false);
        Preconditions.checkArgument(nonTarget.length > 0, "the test set holds no image outside target class %s",
                target);
        LabeledImages selected = test.select(nonTarget);
        List<double[]> images = new ArrayList<>(selected.size());
        for (int i = 0; i < selected.size(); i++) {
            images.add(trigger(selected.image(i), selected.height(), selected.width()));
        }
        return selected.replace(IntStream.range(0, selected.size()).toArray(), quantize(images), selected.labels());
    }

    private void checkTarget(LabeledImages set) {
        Preconditions.checkArgument(target < set.classes(), "target class %s is not a class of a set with %s classes",
                target, set.classes());
    }

    /**
     * Stores values as 8-bit: clip to [0, 255], then truncate toward zero.
     *
     * @param images images on the 0..255 scale
     * @return integer images
     */
    static List<int[]> quantize(List<double[]> images) {
        List<int[]> out = new ArrayList<>(images.size());
        for (double[] image : images) {
            int[] q = new int[image.length];
            for (int i = 0; i < q.length; i++) {
                q[i] = (int) Math.max(0, Math.min(255, image[i]));
            }
            out.add(q);
        }
        return out;
    }

    static double[] toDouble(int[] image) {
        return Arrays.stream(image).asDoubleStream().toArray();
    }

    /**
     * Returns the channels per pixel of an HWC image.
     *
     * @param image HWC values
     * @param height image height
     * @param width image width
     * @return {@code image.length / (height * width)}: 3 for RGB, 1 for grayscale
     */
    protected static int channels(int[] image, int height, int width) {
        return image.length / (height * width);
    }

    /** A seeded full-image pattern of uniform noise, 0..255, HWC. */
    static double[] noisePattern(int height, int width, int channels, long seed) {
        Random random = new Random(seed);
        double[] pattern = new double[height * width * channels];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = random.nextInt(256);
        }
        return pattern;
    }

    @Override
    public String toString() {
        return name + "(target=" + target + ")";
    }
}
