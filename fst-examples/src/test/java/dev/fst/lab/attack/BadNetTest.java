package dev.fst.lab.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.lab.data.LabeledImages;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BadNetTest {

    @Test
    void trigger_whitePatch_replacesExactlyTheBottomRight3x3() {
        LabeledImages clean = AttackFixtures.random(8, 1);
        LabeledImages triggered = new BadNet(BadNet.Patch.WHITE, 0).triggeredTestSet(clean);
        int[] kept = clean.indicesWhereLabel(0, false);
        for (int k = 0; k < triggered.size(); k++) {
            int[] before = clean.image(kept[k]);
            int[] after = triggered.image(k);
            for (int r = 0; r < 32; r++) {
                for (int c = 0; c < 32; c++) {
                    for (int ch = 0; ch < 3; ch++) {
                        int i = AttackFixtures.index(r, c, ch);
                        boolean inPatch = r >= 29 && c >= 29;
                        assertEquals(inPatch ? 255 : before[i], after[i], "pixel " + r + "," + c + "," + ch);
                    }
                }
            }
        }
    }

    @Test
    void trigger_gridPatch_isCheckerboardOf255And1() {
        LabeledImages triggered = new BadNet(BadNet.Patch.GRID, 0).triggeredTestSet(AttackFixtures.flat(4, 100));
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals((i + j) % 2 == 0 ? 255 : 1, triggered.value(0, 29 + i, 29 + j, 1));
            }
        }
        assertEquals(100, triggered.value(0, 28, 31, 0));
        assertEquals(100, triggered.value(0, 31, 28, 2));
    }

    @Test
    void poison_selection_isIndependentOfASameSeedShuffle() {
        // the tuning loop shuffles with new Random(seed); the selection must not be that permutation's head
        LabeledImages clean = AttackFixtures.random(2000, 3);
        long seed = 1;
        PoisonedSet set = new BadNet(BadNet.Patch.WHITE, 0).poison(clean, 0.05, seed);
        int[] order = java.util.stream.IntStream.range(0, clean.size()).toArray();
        dev.fst.lab.data.Permutations.shuffle(order, new java.util.Random(seed));
        Set<Integer> firstEpochHead = new HashSet<>();
        Arrays.stream(order, 0, 400).forEach(firstEpochHead::add);
        long inHead = Arrays.stream(set.poisoned()).filter(firstEpochHead::contains).count();
        // 100 poisoned of 2000: about 20 fall in the first 400 of an independent order, all 100 if correlated
        assertTrue(inHead < 40, inHead + " of 100 poisoned images are among the first 400 of the shuffle");
    }

    @Test
    void poison_rateAndLabels_areExact() {
        LabeledImages clean = AttackFixtures.random(1000, 2);
        PoisonedSet set = new BadNet(BadNet.Patch.WHITE, 3).poison(clean, 0.013, 7);
        assertEquals(13, set.poisoned().length);
        assertEquals(0, set.cover().length);
        Set<Integer> poisoned = new HashSet<>();
        Arrays.stream(set.poisoned()).forEach(poisoned::add);
        for (int i = 0; i < clean.size(); i++) {
            if (poisoned.contains(i)) {
                assertEquals(3, set.images().label(i));
                assertEquals(255, set.images().value(i, 31, 31, 0));
            } else {
                assertEquals(clean.label(i), set.images().label(i));
                assertArrayEquals(clean.image(i), set.images().image(i));
            }
        }
        assertArrayEquals(set.poisoned(), new BadNet(BadNet.Patch.WHITE, 3).poison(clean, 0.013, 7).poisoned());
        assertFalse(Arrays.equals(set.poisoned(), new BadNet(BadNet.Patch.WHITE, 3).poison(clean, 0.013, 8).poisoned()));
    }

    @Test
    void triggeredTestSet_holdsNoTargetClassImages() {
        LabeledImages clean = AttackFixtures.random(40, 3);
        LabeledImages triggered = new BadNet(BadNet.Patch.WHITE, 2).triggeredTestSet(clean);
        assertEquals(30, triggered.size());
        assertTrue(Arrays.stream(triggered.labels()).noneMatch(y -> y == 2));
    }

    @Test
    void poison_badArguments_areRefused() {
        LabeledImages clean = AttackFixtures.random(100, 4);
        BadNet attack = new BadNet(BadNet.Patch.WHITE, 0);
        assertThrows(IllegalArgumentException.class, () -> attack.poison(clean, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> attack.poison(clean, 1.5, 1));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> attack.poison(clean, 0.001, 1));
        assertTrue(none.getMessage().contains("rounds to no poisoned image"), none.getMessage());
        IllegalArgumentException target = assertThrows(IllegalArgumentException.class,
                () -> new BadNet(BadNet.Patch.WHITE, 9).poison(clean, 0.1, 1));
        assertTrue(target.getMessage().contains("target class 9"), target.getMessage());
    }
}
