package dev.fst.lab.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.lab.data.LabeledImages;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BlendedAndSigTest {

    @Test
    void blended_everyPixel_isTruncatedMixWithFixedPattern() {
        LabeledImages clean = AttackFixtures.random(8, 5);
        Blended attack = new Blended(0);
        double[] pattern = attack.pattern(32, 32);
        assertArrayEquals(pattern, new Blended(0).pattern(32, 32));
        assertTrue(Arrays.stream(pattern).distinct().count() > 200, "the pattern must vary");
        LabeledImages triggered = attack.triggeredTestSet(clean);
        int[] kept = clean.indicesWhereLabel(0, false);
        for (int k = 0; k < triggered.size(); k++) {
            int[] before = clean.image(kept[k]);
            int[] after = triggered.image(k);
            for (int i = 0; i < before.length; i++) {
                assertEquals((int) (0.8 * before[i] + 0.2 * pattern[i]), after[i]);
            }
        }
    }

    @Test
    void sig_columnProfile_isSineOfAmplitude40AndFrequency6() {
        LabeledImages triggered = new Sig(0).triggeredTestSet(AttackFixtures.flat(4, 128));
        for (int j = 0; j < 32; j++) {
            int expected = (int) Math.max(0, Math.min(255, 128 + 40 * Math.sin(2 * Math.PI * j * 6 / 32)));
            for (int r = 0; r < 32; r++) {
                for (int ch = 0; ch < 3; ch++) {
                    assertEquals(expected, triggered.value(0, r, j, ch), "row " + r + " column " + j);
                }
            }
        }
    }

    @Test
    void sig_isCleanLabel_poisonsOnlyTargetImagesAndKeepsLabels() {
        LabeledImages clean = AttackFixtures.random(400, 6);
        PoisonedSet set = new Sig(1).poison(clean, 0.05, 3);
        assertEquals(20, set.poisoned().length);
        for (int i : set.poisoned()) {
            assertEquals(1, clean.label(i));
            assertEquals(1, set.images().label(i));
        }
        assertArrayEquals(clean.labels(), set.images().labels());
    }

    @Test
    void sig_rateAboveTargetShare_namesTheLargestRate() {
        LabeledImages clean = AttackFixtures.random(400, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sig(1).poison(clean, 0.3, 3));
        assertTrue(e.getMessage().contains("the largest rate is 0.25000"), e.getMessage());
    }
}
