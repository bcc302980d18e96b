package dev.fst.eval;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.common.base.Preconditions;
import dev.fst.data.Augmentation;
import dev.fst.internal.BatchStaging;
import dev.fst.internal.ImageSet;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Measures a classifier on labelled images in inference mode, in batches, each batch's arrays in its
 * own {@link NDManager}. The model is not changed.
 *
 * <ul>
 *   <li>{@link #accuracy}: clean accuracy (C-Acc), the fraction of images predicted as their label.
 *   <li>{@link #attackSuccessRate}: the fraction of triggered images whose true class is not the
 *       target that the model assigns to the target class (ASR, as the FST paper and BackdoorBench
 *       measure it: target-class images are left out).
 *   <li>{@link #robustAccuracy}: the fraction of those same triggered images that the model still
 *       assigns to their true class (RA, BackdoorBench's robust accuracy).
 * </ul>
 */
public final class Evaluator {

    /** Batch size used when none is given. */
    public static final int DEFAULT_BATCH_SIZE = 256;

    private Evaluator() {}

    /**
     * Returns the clean accuracy of {@code model} on {@code data}.
     *
     * @param model the classifier
     * @param data labelled images of shape (C, H, W)
     * @return correct predictions over all images
     * @throws IllegalArgumentException if the data is empty or malformed
     */
    public static Rate accuracy(Model model, RandomAccessDataset data) {
        return accuracy(model, data, DEFAULT_BATCH_SIZE);
    }

    /**
     * Returns the clean accuracy of {@code model} on {@code data}.
     *
     * @param model the classifier
     * @param data labelled images of shape (C, H, W)
     * @param batchSize images per forward pass, {@code >= 1}
     * @return correct predictions over all images
     * @throws IllegalArgumentException if the data is empty or malformed
     */
    public static Rate accuracy(Model model, RandomAccessDataset data, int batchSize) {
        return accuracy(model, ImageSet.read(data, model.getNDManager()), batchSize);
    }

    /**
     * Returns the attack success rate of {@code model} on triggered images.
     *
     * @param model the classifier
     * @param triggered images with the trigger applied, labelled with their <em>true</em> class;
     *     images of the target class are skipped
     * @param target the attacker's target class
     * @return predictions of {@code target} over the images whose true class is not {@code target}
     * @throws IllegalArgumentException if the data is empty or malformed, or {@code target < 0}
     */
    public static Rate attackSuccessRate(Model model, RandomAccessDataset triggered, int target) {
        return attackSuccessRate(model, triggered, target, DEFAULT_BATCH_SIZE);
    }

    /**
     * Returns the attack success rate of {@code model} on triggered images.
     *
     * @param model the classifier
     * @param triggered images with the trigger applied, labelled with their <em>true</em> class;
     *     images of the target class are skipped
     * @param target the attacker's target class, {@code >= 0}
     * @param batchSize images per forward pass, {@code >= 1}
     * @return predictions of {@code target} over the images whose true class is not {@code target}
     * @throws IllegalArgumentException if the data is empty or malformed, or {@code target < 0}
     */
    public static Rate attackSuccessRate(
            Model model, RandomAccessDataset triggered, int target, int batchSize) {
        Preconditions.checkArgument(target >= 0, "target must be >= 0 but was %s", target);
        return attackSuccessRate(model, ImageSet.read(triggered, model.getNDManager()), target, batchSize);
    }

    /**
     * Returns the robust accuracy (RA) of {@code model} on triggered images: the fraction of the
     * triggered images whose true class is not the target that the model still assigns to their
     * true class. It is the clean accuracy measured on the triggered non-target images, scored
     * against their original labels, as BackdoorBench's {@code robust_accuracy} computes it on its
     * backdoored test set (which holds no target-class images). A purification that removes the
     * backdoor and keeps the task has a high RA; one that only stops predicting the target (say, by
     * predicting a third class on triggered images) has a low ASR and a low RA. On the same images
     * {@code RA + ASR <= 1}.
     *
     * @param model the classifier
     * @param triggered images with the trigger applied, labelled with their <em>true</em> class;
     *     images of the target class are skipped
     * @param target the attacker's target class, {@code >= 0}
     * @return correct predictions over the images whose true class is not {@code target}
     * @throws IllegalArgumentException if the data is empty or malformed, or {@code target < 0}
     */
    public static Rate robustAccuracy(Model model, RandomAccessDataset triggered, int target) {
        return robustAccuracy(model, triggered, target, DEFAULT_BATCH_SIZE);
    }

    /**
     * Returns the robust accuracy (RA) of {@code model} on triggered images; see {@link
     * #robustAccuracy(Model, RandomAccessDataset, int)}.
     *
     * @param model the classifier
     * @param triggered images with the trigger applied, labelled with their <em>true</em> class;
     *     images of the target class are skipped
     * @param target the attacker's target class, {@code >= 0}
     * @param batchSize images per forward pass, {@code >= 1}
     * @return correct predictions over the images whose true class is not {@code target}
     * @throws IllegalArgumentException if the data is empty or malformed, or {@code target < 0}
     */
    public static Rate robustAccuracy(
            Model model, RandomAccessDataset triggered, int target, int batchSize) {
        Preconditions.checkArgument(target >= 0, "target must be >= 0 but was %s", target);
        ImageSet images = ImageSet.read(triggered, model.getNDManager());
        return count(model, images, batchSize, target, -1);
    }

    /** Clean accuracy on images already read. */
    static Rate accuracy(Model model, ImageSet images, int batchSize) {
        return count(model, images, batchSize, -1, -1);
    }

    /** Attack success rate on triggered images already read; {@code target >= 0}. */
    static Rate attackSuccessRate(Model model, ImageSet triggered, int target, int batchSize) {
        return count(model, triggered, batchSize, target, target);
    }

    /**
     * Counts hits over the images whose label is not {@code skipped} (all when negative): a hit is
     * a prediction of {@code predicted}, or of the image's own label when {@code predicted} is
     * negative.
     */
    private static Rate count(Model model, ImageSet images, int batchSize, int skipped, int predicted) {
        Preconditions.checkArgument(batchSize >= 1, "batchSize must be >= 1 but was %s", batchSize);
        Block block = model.getBlock();
        int[] order = selection(images, skipped);
        long hits = 0;
        try (NDManager scope = model.getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            BatchStaging staging = new BatchStaging(false);
            for (int from = 0; from < order.length; from += batchSize) {
                int to = Math.min(order.length, from + batchSize);
                try (NDManager batch = scope.newSubManager()) {
                    NDList xy = images.batch(batch, order, from, to, Augmentation.none(), new Random(0), staging);
                    NDArray logits = block.forward(store, new NDList(xy.get(0)), false).singletonOrThrow();
                    NDArray classes = logits.argMax(1).toType(DataType.INT64, false);
                    NDArray hit = predicted < 0 ? classes.eq(xy.get(1)) : classes.eq(predicted);
                    hits += hit.countNonzero().getLong();
                }
            }
        }
        return new Rate(hits, order.length);
    }

    private static int[] selection(ImageSet images, int skipped) {
        if (skipped < 0) {
            return images.indexOrder();
        }
        return IntStream.range(0, images.size())
                .filter(i -> images.label(i) != skipped)
                .toArray();
    }
}
