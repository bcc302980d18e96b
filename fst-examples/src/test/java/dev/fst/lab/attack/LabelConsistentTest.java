package dev.fst.lab.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import dev.fst.lab.data.LabeledImages;
import dev.fst.lab.model.Architecture;
import org.junit.jupiter.api.Test;

class LabelConsistentTest {

    @Test
    void trigger_fourCorners_matchTheReferencePatterns() {
        LabeledImages triggered = new LabelConsistent(null, 0, 8 / 255.0, 1.5 / 255.0, 0)
                .triggeredTestSet(AttackFixtures.flat(4, 100));
        String[] left = {"+--", "-+-", "+-+"};
        String[] right = {"--+", "-+-", "+-+"};
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                int l = left[i].charAt(j) == '+' ? 255 : 0;
                int r = right[i].charAt(j) == '+' ? 255 : 0;
                assertEquals(l, triggered.value(0, i, j, 0), "top-left " + i + "," + j);
                assertEquals(l, triggered.value(0, 29 + i, j, 1), "bottom-left " + i + "," + j);
                assertEquals(r, triggered.value(0, i, 29 + j, 2), "top-right " + i + "," + j);
                assertEquals(r, triggered.value(0, 29 + i, 29 + j, 0), "bottom-right " + i + "," + j);
            }
        }
        assertEquals(100, triggered.value(0, 3, 3, 0));
        assertEquals(100, triggered.value(0, 16, 0, 0));
    }

    @Test
    void poison_pgdPerturbation_staysWithinEpsilonAndKeepsLabels() {
        LabeledImages clean = AttackFixtures.random(40, 11);
        try (Model surrogate = Architecture.SMALL_CNN.newModel(4, 32, 1)) {
            PoisonedSet set = new LabelConsistent(surrogate, 1, 8 / 255.0, 2 / 255.0, 5).poison(clean, 0.1, 2);
            assertEquals(4, set.poisoned().length);
            assertArrayEquals(clean.labels(), set.images().labels());
            int changed = 0;
            for (int i : set.poisoned()) {
                assertEquals(1, clean.label(i));
                int[] before = clean.image(i);
                int[] after = set.images().image(i);
                for (int r = 3; r < 29; r++) {
                    for (int c = 3; c < 29; c++) {
                        for (int ch = 0; ch < 3; ch++) {
                            int k = AttackFixtures.index(r, c, ch);
                            assertTrue(Math.abs(after[k] - before[k]) <= 8, "perturbation " + (after[k] - before[k]));
                            changed += after[k] != before[k] ? 1 : 0;
                        }
                    }
                }
                assertEquals(255, after[AttackFixtures.index(0, 0, 0)]);
            }
            assertTrue(changed > 1000, "PGD must change many pixels, changed " + changed);
        }
    }

    @Test
    void poison_zeroSteps_onlyStampsCorners() {
        LabeledImages clean = AttackFixtures.random(40, 12);
        try (Model surrogate = Architecture.SMALL_CNN.newModel(4, 32, 1)) {
            PoisonedSet set = new LabelConsistent(surrogate, 1, 8 / 255.0, 2 / 255.0, 0).poison(clean, 0.1, 2);
            for (int i : set.poisoned()) {
                int[] before = clean.image(i);
                int[] after = set.images().image(i);
                for (int r = 3; r < 29; r++) {
                    for (int ch = 0; ch < 3; ch++) {
                        int k = AttackFixtures.index(r, r, ch);
                        assertEquals(before[k], after[k]);
                    }
                }
            }
        }
    }
}
