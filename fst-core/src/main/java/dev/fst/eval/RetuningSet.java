package dev.fst.eval;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import com.google.common.base.Preconditions;
import dev.fst.data.Augmentation;
import dev.fst.internal.ImageSet;
import java.util.Arrays;
import java.util.Random;

/**
 * What a {@link RetuningAttack} fine-tunes on: the defender's tuning images with {@code samples} of
 * them replaced by triggered images relabelled to the target. The replaced positions are the first
 * {@code samples} entries of a seeded permutation of the tuning indices; the replacements are the
 * first {@code samples} triggered images, in index order, whose true class is not the target.
 *
 * @param images the retuning images, held in memory
 * @param replaced the replaced tuning indices, in the order they were drawn
 */
record RetuningSet(ImageSet images, int[] replaced) {

    /**
     * Builds the set.
     *
     * @param tuning the defender's tuning images
     * @param triggered the attacker's triggered images, true labels, same image shape
     * @param samples how many tuning images to replace, at most {@code tuning.size()}
     * @param target the target class
     * @param random the attack's random source; the permutation is drawn from it
     * @param manager a manager for the temporary arrays; nothing stays attached to it
     * @return the set
     * @throws IllegalArgumentException if {@code triggered} has fewer than {@code samples} images
     *     whose true class is not the target
     */
    static RetuningSet build(
            ImageSet tuning, ImageSet triggered, int samples, int target, Random random, NDManager manager) {
        int[] sources = nonTarget(triggered, target, samples);
        Preconditions.checkArgument(
                sources.length == samples,
                "triggeredImages holds %s images whose true class is not the target %s, but samples"
                        + " is %s",
                sources.length, target, samples);
        int n = tuning.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        shuffle(order, random);
        int[] replaced = Arrays.copyOf(order, samples);
        try (NDManager scope = manager.newSubManager()) {
            NDList all = tuning.batch(scope, tuning.indexOrder(), 0, n, Augmentation.none(), new Random(0));
            float[] pixels = all.get(0).toFloatArray();
            long[] labels = all.get(1).toLongArray();
            if (samples > 0) {
                float[] poison =
                        triggered.batch(scope, sources, 0, samples, Augmentation.none(), new Random(0))
                                .get(0)
                                .toFloatArray();
                int size = pixels.length / n;
                for (int k = 0; k < samples; k++) {
                    System.arraycopy(poison, k * size, pixels, replaced[k] * size, size);
                    labels[replaced[k]] = target;
                }
            }
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(scope.create(pixels, new Shape(n).addAll(tuning.imageShape())))
                            .optLabels(scope.create(labels))
                            .setSampling(1, false)
                            .build();
            return new RetuningSet(ImageSet.read(dataset, scope), replaced);
        }
    }

    /**
     * Returns the first {@code count} indices, in index order, of images whose label is not {@code
     * target}; fewer when there are not that many.
     */
    static int[] nonTarget(ImageSet images, int target, int count) {
        int[] found = new int[count];
        int k = 0;
        for (int i = 0; i < images.size() && k < count; i++) {
            if (images.label(i) != target) {
                found[k++] = i;
            }
        }
        return Arrays.copyOf(found, k);
    }

    /** Fisher-Yates shuffle in place, as the tuning loop shuffles. */
    static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
