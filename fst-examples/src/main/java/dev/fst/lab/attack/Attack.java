package dev.fst.lab.attack;

import dev.fst.lab.data.LabeledImages;

/**
 * A backdoor attack, all-to-one: it plants a trigger in part of a training set so that a model
 * trained on it predicts the {@linkplain #targetClass() target class} whenever the trigger is
 * present, and builds the triggered test set on which the attack success rate (ASR) is measured.
 */
public interface Attack {

    /**
     * Returns the attack's name, such as {@code badnet}.
     *
     * @return the name
     */
    String name();

    /**
     * Returns the class the backdoor predicts.
     *
     * @return the target class, {@code >= 0}
     */
    int targetClass();

    /**
     * Returns whether the attack keeps the labels of poisoned images (SIG, Label-Consistent), drawing
     * them from the target class only, rather than relabelling images of any class.
     *
     * @return {@code true} for a clean-label attack
     */
    boolean cleanLabel();

    /**
     * Poisons a training set: {@code round(rate * N)} images get the trigger (dirty-label: drawn from
     * all images and relabelled to the target; clean-label: drawn from the target class, labels
     * kept); attacks with regularisation ("cover") samples add them with their true labels.
     *
     * @param train the clean training set
     * @param rate the poisoning rate, in (0, 1]; the fraction of the <em>whole</em> training set
     * @param seed selects the poisoned images (and per-sample randomness)
     * @return the poisoned set and which images were changed
     * @throws IllegalArgumentException if the rate is out of range, rounds to no image, or asks for
     *     more images than the attack can poison; or the target class is not a class of the set
     */
    PoisonedSet poison(LabeledImages train, double rate, long seed);

    /**
     * Builds the test set for the attack success rate: every test image whose true class is not the
     * target, with the (full) trigger applied, labelled with its <em>true</em> class (as {@link
     * dev.fst.eval.Evaluator#attackSuccessRate} expects).
     *
     * @param test the clean test set
     * @return the triggered non-target images
     */
    LabeledImages triggeredTestSet(LabeledImages test);
}
