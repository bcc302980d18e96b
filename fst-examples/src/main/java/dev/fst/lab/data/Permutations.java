package dev.fst.lab.data;

import java.util.Random;

/** Seeded index shuffling shared by the lab's data split and the attacks' image selection. */
public final class Permutations {

    private Permutations() {}

    /**
     * Shuffles {@code values} in place (Fisher-Yates, from the last element down).
     *
     * @param values the values to shuffle
     * @param random the random source
     */
    public static void shuffle(int[] values, Random random) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
    }
}
