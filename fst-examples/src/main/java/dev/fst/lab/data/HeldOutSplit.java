package dev.fst.lab.data;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The FST paper's data protocol: a clean, class-balanced tuning set held out of the training set
 * (the defender's data, never seen by the attacker), and the attacker's training set drawn from the
 * rest.
 *
 * @param tuning the clean tuning images, {@code tune / classes} per class (the remainder spread over
 *     the first classes)
 * @param training the images left for backdoor training, in a seeded random order
 */
public record HeldOutSplit(LabeledImages tuning, LabeledImages training) {

    /**
     * Splits a training set.
     *
     * @param train the full training set
     * @param tune tuning images, {@code >= 1}
     * @param trainCount images for backdoor training, or 0 for all that remain
     * @param seed the shuffling seed
     * @return the split
     * @throws IllegalArgumentException if a class has too few images or too few remain
     */
    public static HeldOutSplit of(LabeledImages train, int tune, int trainCount, long seed) {
        Preconditions.checkArgument(tune >= 1, "tuning set size must be >= 1 but was %s", tune);
        int classes = train.classes();
        Random random = new Random(seed);
        int[] order = java.util.stream.IntStream.range(0, train.size()).toArray();
        Permutations.shuffle(order, random);
        int[] quota = new int[classes];
        for (int c = 0; c < classes; c++) {
            quota[c] = tune / classes + (c < tune % classes ? 1 : 0);
        }
        List<Integer> tuning = new ArrayList<>();
        List<Integer> rest = new ArrayList<>();
        for (int index : order) {
            int y = train.label(index);
            if (quota[y] > 0) {
                quota[y]--;
                tuning.add(index);
            } else {
                rest.add(index);
            }
        }
        for (int c = 0; c < classes; c++) {
            Preconditions.checkArgument(quota[c] == 0, "class %s (%s) has too few images for a class-balanced tuning "
                    + "set of %s", c, train.classNames().get(c), tune);
        }
        int n = trainCount == 0 ? rest.size() : trainCount;
        Preconditions.checkArgument(n <= rest.size() && n >= 1,
                "asked for %s training images but %s remain after holding out %s tuning images", n, rest.size(), tune);
        int[] tuningIdx = tuning.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(tuningIdx);
        int[] trainingIdx = rest.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
        return new HeldOutSplit(train.select(tuningIdx), train.select(trainingIdx));
    }
}
