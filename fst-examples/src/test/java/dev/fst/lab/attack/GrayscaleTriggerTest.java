package dev.fst.lab.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.lab.data.LabeledImages;
import org.junit.jupiter.api.Test;

/** Every trigger works on one-channel (grayscale) images and changes exactly the pixels it should. */
class GrayscaleTriggerTest {

    private static final LabeledImages CLEAN = AttackFixtures.gray(12, 5);

    /** The triggered non-target images, aligned with the clean ones they came from. */
    private static int[][] pairs(Attack attack, int k) {
        LabeledImages triggered = attack.triggeredTestSet(CLEAN);
        assertEquals(1, triggered.channels());
        assertEquals(28, triggered.height());
        int[] kept = CLEAN.indicesWhereLabel(attack.targetClass(), false);
        return new int[][] {CLEAN.image(kept[k]), triggered.image(k)};
    }

    @Test
    void badNet_replacesExactlyTheBottomRight3x3_ofTheOneChannel() {
        for (BadNet.Patch patch : BadNet.Patch.values()) {
            BadNet attack = new BadNet(patch, 0);
            int[][] p = pairs(attack, 2);
            for (int r = 0; r < 28; r++) {
                for (int c = 0; c < 28; c++) {
                    int i = r * 28 + c;
                    boolean inPatch = r >= 25 && c >= 25;
                    assertEquals(inPatch ? attack.patchValue(r - 25, c - 25) : p[0][i], p[1][i], patch + " " + r + "," + c);
                }
            }
        }
    }

    @Test
    void blended_mixesAGrayscalePatternIntoEveryPixel() {
        Blended attack = new Blended(0);
        double[] pattern = attack.pattern(28, 28, 1);
        assertEquals(28 * 28, pattern.length);
        int[][] p = pairs(attack, 1);
        for (int i = 0; i < p[0].length; i++) {
            assertEquals((int) (0.8 * p[0][i] + 0.2 * pattern[i]), p[1][i], "pixel " + i);
        }
    }

    @Test
    void sig_addsTheSameSignalToEveryRow() {
        Sig attack = new Sig(0);
        int[][] p = pairs(attack, 0);
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                int i = r * 28 + c;
                double expected = Math.max(0, Math.min(255, p[0][i] + attack.signal(c, 28)));
                assertEquals((int) expected, p[1][i], r + "," + c);
            }
        }
    }

    @Test
    void labelConsistent_setsTheFourCorners_only() {
        LabelConsistent attack = new LabelConsistent(null, 0);
        int[][] p = pairs(attack, 3);
        int changed = 0;
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                int i = r * 28 + c;
                boolean corner = (r < 3 || r >= 25) && (c < 3 || c >= 25);
                if (corner) {
                    int j = c < 3 ? c : c - 25;
                    int row = r < 3 ? r : r - 25;
                    assertEquals(LabelConsistent.white(row, j, c >= 25) ? 255 : 0, p[1][i], r + "," + c);
                    changed++;
                } else {
                    assertEquals(p[0][i], p[1][i], r + "," + c);
                }
            }
        }
        assertEquals(36, changed);
    }

    @Test
    void waNetAndAdaptiveBlend_keepTheShape_andChangeTheImage() {
        for (Attack attack : new Attack[] {new WaNet(0), new AdaptiveBlend(0)}) {
            int[][] p = pairs(attack, 4);
            assertEquals(28 * 28, p[1].length, attack.name());
            int differ = 0;
            for (int i = 0; i < p[0].length; i++) {
                differ += p[0][i] != p[1][i] ? 1 : 0;
            }
            assertTrue(differ > 28 * 28 / 4, attack.name() + " changed " + differ + " pixels");
        }
    }

    @Test
    void poisoning_aGrayscaleSet_keepsItGrayscale() {
        PoisonedSet set = new BadNet(BadNet.Patch.WHITE, 1).poison(AttackFixtures.gray(200, 2), 0.05, 3);
        assertEquals(1, set.images().channels());
        assertEquals(10, set.poisoned().length);
        for (int index : set.poisoned()) {
            assertEquals(1, set.images().label(index));
            assertEquals(255, set.images().value(index, 27, 27, 0));
        }
    }
}
