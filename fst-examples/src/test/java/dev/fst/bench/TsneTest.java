package dev.fst.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TsneTest {

    @Test
    void threeSeparatedClusters_stayClustered_andTheSeedFixesTheLayout() {
        Random random = new Random(3);
        int per = 30;
        double[][] x = new double[3 * per][10];
        for (int i = 0; i < x.length; i++) {
            int cluster = i / per;
            for (int k = 0; k < 10; k++) {
                x[i][k] = random.nextGaussian() + (k == cluster ? 10 : 0);
            }
        }
        double[][] y = new Tsne(10, 400, 1).embed(x);
        double[][] centre = new double[3][2];
        for (int i = 0; i < y.length; i++) {
            centre[i / per][0] += y[i][0] / per;
            centre[i / per][1] += y[i][1] / per;
        }
        double spread = 0;
        for (int i = 0; i < y.length; i++) {
            spread = Math.max(spread, Math.hypot(y[i][0] - centre[i / per][0], y[i][1] - centre[i / per][1]));
        }
        double gap = Double.MAX_VALUE;
        for (int a = 0; a < 3; a++) {
            for (int b = a + 1; b < 3; b++) {
                gap = Math.min(gap, Math.hypot(centre[a][0] - centre[b][0], centre[a][1] - centre[b][1]));
            }
        }
        assertTrue(gap > 2 * spread, "clusters apart: nearest centres " + gap + ", widest cluster radius " + spread);
        assertArrayEquals(y[7], new Tsne(10, 400, 1).embed(x)[7], 0, "deterministic");
    }
}
