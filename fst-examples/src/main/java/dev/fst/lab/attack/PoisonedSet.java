package dev.fst.lab.attack;

import dev.fst.lab.data.LabeledImages;

/**
 * A training set after poisoning.
 *
 * @param images the whole training set, poisoned and cover images replaced in place
 * @param poisoned ascending indices of the images that carry the backdoor trigger for training
 * @param cover ascending indices of regularisation images (WaNet noise-mode, Adaptive-Blend cover
 *     samples) that carry a partial or noisy trigger with their true label; empty for most attacks
 * @param attack the attack's name
 * @param rate the requested poisoning rate
 */
public record PoisonedSet(LabeledImages images, int[] poisoned, int[] cover, String attack, double rate) {

    /**
     * Returns the fraction of the set that was poisoned.
     *
     * @return {@code poisoned.length / images.size()}
     */
    public double actualRate() {
        return (double) poisoned.length / images.size();
    }
}
