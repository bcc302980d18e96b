package dev.fst.lab.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCifarTest {

    @Test
    void generate_isDeterministicBalancedAndPrefixStable() {
        LabData a = SyntheticCifar.generate(200, 50, 9);
        LabData b = SyntheticCifar.generate(200, 50, 9);
        assertEquals(10, a.train().classes());
        assertEquals(32, a.train().height());
        for (int i = 0; i < 200; i += 37) {
            assertArrayEquals(a.train().image(i), b.train().image(i));
        }
        assertArrayEquals(new int[] {20, 20, 20, 20, 20, 20, 20, 20, 20, 20}, a.train().classCounts());
        LabeledImages prefix = SyntheticCifar.images(30, 9);
        assertArrayEquals(a.train().image(29), prefix.image(29));
        assertFalse(Arrays.equals(a.train().image(0), SyntheticCifar.generate(200, 50, 10).train().image(0)));
        assertFalse(Arrays.equals(a.train().image(0), a.test().image(0)), "test images come from another stream");
    }

    @Test
    void images_useTheWholeValueRangeAndDiffer() {
        LabeledImages images = SyntheticCifar.images(100, 1);
        int min = 255;
        int max = 0;
        double meanAbsDiff = 0;
        for (int i = 0; i < 100; i++) {
            int[] x = images.image(i);
            for (int v : x) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            if (i > 0) {
                int[] y = images.image(i - 1);
                for (int k = 0; k < x.length; k++) {
                    meanAbsDiff += Math.abs(x[k] - y[k]) / (double) x.length / 99;
                }
            }
        }
        assertEquals(0, min);
        assertEquals(255, max);
        assertTrue(meanAbsDiff > 30, "consecutive images must differ a lot, mean |diff| " + meanAbsDiff);
    }

    @Test
    void sampleGrid_writesAPng(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("grid.png");
        SampleGrid.write(SyntheticCifar.images(40, 1), 3, 2, file);
        assertTrue(Files.size(file) > 1000);
        assertEquals(3 * (64 + 2), javax.imageio.ImageIO.read(file.toFile()).getWidth());
    }

    @Test
    void heldOutSplit_isClassBalancedAndDisjoint() {
        LabeledImages train = SyntheticCifar.images(300, 2);
        HeldOutSplit split = HeldOutSplit.of(train, 25, 100, 4);
        assertEquals(25, split.tuning().size());
        assertEquals(100, split.training().size());
        assertArrayEquals(new int[] {3, 3, 3, 3, 3, 2, 2, 2, 2, 2}, split.tuning().classCounts());
        assertEquals(275, HeldOutSplit.of(train, 25, 0, 4).training().size());
        java.util.Set<String> tuning = new java.util.HashSet<>();
        for (int i = 0; i < split.tuning().size(); i++) {
            tuning.add(Arrays.toString(split.tuning().image(i)));
        }
        for (int i = 0; i < split.training().size(); i++) {
            assertFalse(tuning.contains(Arrays.toString(split.training().image(i))));
        }
    }
}
