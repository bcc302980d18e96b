package dev.fst.lab.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.lab.data.LabeledImages;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WaNetAndAdaptiveBlendTest {

    @Test
    void wanet_warp_isSmoothAndBounded() {
        double[][][] grid = new WaNet(0).warpGrid(32, 32);
        double maxShift = 0;
        double maxStep = 0;
        double[][][] shift = new double[32][32][2];
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 32; j++) {
                // displacement in pixels against the identity grid
                shift[i][j][0] = (grid[i][j][0] + 1) / 2 * 31 - j;
                shift[i][j][1] = (grid[i][j][1] + 1) / 2 * 31 - i;
                maxShift = Math.max(maxShift, Math.max(Math.abs(shift[i][j][0]), Math.abs(shift[i][j][1])));
            }
        }
        // the clamp to [-1, 1] pins the outermost rows and columns, so smoothness is checked inside
        for (int i = 2; i < 31; i++) {
            for (int j = 2; j < 31; j++) {
                for (int c = 0; c < 2; c++) {
                    maxStep = Math.max(maxStep, Math.abs(shift[i][j][c] - shift[i - 1][j][c]));
                    maxStep = Math.max(maxStep, Math.abs(shift[i][j][c] - shift[i][j - 1][c]));
                }
            }
        }
        assertTrue(maxShift > 0.1, "the warp must move pixels, max shift " + maxShift);
        assertTrue(maxShift < 1.5, "s = 0.5 keeps shifts within about a pixel, max shift " + maxShift);
        assertTrue(maxStep < 0.15, "neighbouring shifts must differ little (smooth), max step " + maxStep);
    }

    @Test
    void wanet_constantImage_staysConstantWithinTruncation() {
        LabeledImages triggered = new WaNet(0).triggeredTestSet(AttackFixtures.flat(4, 128));
        for (int v : triggered.image(0)) {
            assertTrue(v == 128 || v == 127, "value " + v);
        }
    }

    @Test
    void wanet_poison_addsTwiceAsManyNoiseModeCoverSamplesWithTrueLabels() {
        LabeledImages clean = AttackFixtures.random(500, 8);
        PoisonedSet set = new WaNet(2).poison(clean, 0.02, 4);
        assertEquals(10, set.poisoned().length);
        assertEquals(20, set.cover().length);
        Set<Integer> poisoned = new HashSet<>();
        Arrays.stream(set.poisoned()).forEach(poisoned::add);
        for (int i : set.cover()) {
            assertTrue(!poisoned.contains(i), "cover and poisoned images are disjoint");
            assertEquals(clean.label(i), set.images().label(i));
            assertNotEquals(Arrays.toString(clean.image(i)), Arrays.toString(set.images().image(i)));
        }
        for (int i : set.poisoned()) {
            assertEquals(2, set.images().label(i));
        }
    }

    @Test
    void adaptiveBlend_mask_dropsHalfThePieces() {
        AdaptiveBlend attack = new AdaptiveBlend(0);
        Random random = new Random(1);
        for (int k = 0; k < 20; k++) {
            boolean[] keep = attack.drawMask(random);
            assertEquals(16, keep.length);
            int kept = 0;
            for (boolean b : keep) {
                kept += b ? 1 : 0;
            }
            assertEquals(8, kept);
        }
    }

    @Test
    void adaptiveBlend_blend_changesOnlyKeptPiecesByAlpha() {
        AdaptiveBlend attack = new AdaptiveBlend(0);
        LabeledImages clean = AttackFixtures.random(1, 9);
        int[] image = clean.image(0);
        boolean[] keep = attack.drawMask(new Random(3));
        double[] pattern = attack.pattern(32, 32);
        double[] out = attack.blend(image, 32, 32, keep);
        for (int r = 0; r < 32; r++) {
            for (int c = 0; c < 32; c++) {
                boolean on = keep[(r / 8) * 4 + c / 8];
                for (int ch = 0; ch < 3; ch++) {
                    int i = AttackFixtures.index(r, c, ch);
                    double expected = on ? image[i] + 0.2 * (pattern[i] - image[i]) : image[i];
                    assertEquals(expected, out[i], 1e-9);
                }
            }
        }
    }

    @Test
    void adaptiveBlend_poison_hasEqualDisjointCoverWithTrueLabels() {
        LabeledImages clean = AttackFixtures.random(1000, 10);
        PoisonedSet set = new AdaptiveBlend(0).poison(clean, 0.003, 5);
        assertEquals(3, set.poisoned().length);
        assertEquals(3, set.cover().length);
        for (int i : set.cover()) {
            assertEquals(clean.label(i), set.images().label(i));
            assertTrue(Arrays.stream(set.poisoned()).noneMatch(p -> p == i));
        }
        for (int i : set.poisoned()) {
            assertEquals(0, set.images().label(i));
        }
        LabeledImages test = new AdaptiveBlend(0).triggeredTestSet(clean.select(new int[] {1}));
        int[] full = Arrays.stream(new AdaptiveBlend(0).blend(clean.image(1), 32, 32, null)).mapToInt(v -> (int) v).toArray();
        assertArrayEquals(full, test.image(0), "test images get the full trigger");
    }
}
