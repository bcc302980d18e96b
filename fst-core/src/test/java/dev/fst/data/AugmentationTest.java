package dev.fst.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AugmentationTest {

    private static float[] ramp(int c, int h, int w) {
        float[] img = new float[c * h * w];
        for (int i = 0; i < img.length; i++) {
            img[i] = i + 1;
        }
        return img;
    }

    @Test
    void none_copiesExactly() {
        float[] src = ramp(3, 4, 4);
        float[] dst = new float[src.length];
        Augmentation.none().apply(src, 0, 3, 4, 4, dst, 0, new Random(1));
        assertArrayEquals(src, dst);
    }

    @Test
    void flipOnly_mirrorsRowsOrKeepsThem() {
        float[] src = ramp(1, 2, 3);
        Set<String> seen = new HashSet<>();
        Random random = new Random(3);
        for (int t = 0; t < 40; t++) {
            float[] dst = new float[6];
            Augmentation.crop(0, true).apply(src, 0, 1, 2, 3, dst, 0, random);
            seen.add(java.util.Arrays.toString(dst));
        }
        assertEquals(Set.of("[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]", "[3.0, 2.0, 1.0, 6.0, 5.0, 4.0]"), seen);
    }

    @Test
    void crop_shiftsWithinPaddingAndFillsZeros() {
        int h = 6;
        int w = 6;
        float[] src = ramp(1, h, w);
        Random random = new Random(5);
        Set<String> shifts = new HashSet<>();
        for (int t = 0; t < 400; t++) {
            float[] dst = new float[h * w];
            Augmentation.crop(2, false).apply(src, 0, 1, h, w, dst, 0, random);
            // find the shift from any non-zero pixel: value v sits at (y, x) and came from (v-1)/w, (v-1)%w
            int dy = Integer.MIN_VALUE;
            int dx = 0;
            for (int i = 0; i < dst.length; i++) {
                if (dst[i] != 0) {
                    int v = (int) dst[i] - 1;
                    int ndy = v / w - i / w;
                    int ndx = v % w - i % w;
                    if (dy != Integer.MIN_VALUE) {
                        assertEquals(dy, ndy, "one shift per image");
                        assertEquals(dx, ndx, "one shift per image");
                    }
                    dy = ndy;
                    dx = ndx;
                }
            }
            assertTrue(Math.abs(dy) <= 2 && Math.abs(dx) <= 2, "shift within padding: " + dy + "," + dx);
            shifts.add(dy + "," + dx);
        }
        assertEquals(25, shifts.size(), "all 5x5 offsets occur");
    }
}
