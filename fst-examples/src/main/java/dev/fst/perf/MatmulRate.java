package dev.fst.perf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Measures the machine's sustained float32 matrix-multiply rate through libtorch, the ceiling any
 * convolution or linear layer can reach: square products of size {@code n}, two warm-up products,
 * then the best of several timed rounds.
 */
public final class MatmulRate {

    private MatmulRate() {}

    /**
     * Measures the rate.
     *
     * @param n the matrix size, {@code >= 64}; 2,048 takes about 3 s on two cores
     * @param rounds timed rounds, {@code >= 1}; each multiplies {@code 4} products
     * @param device where to multiply
     * @return the best rate in FLOP per second ({@code 2 n^3} per product)
     */
    public static double flopsPerSecond(int n, int rounds, Device device) {
        if (n < 64 || rounds < 1) {
            throw new IllegalArgumentException("need n >= 64 and rounds >= 1 but got n=" + n + ", rounds=" + rounds);
        }
        double best = 0;
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            NDArray a = manager.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = manager.randomUniform(-1, 1, new Shape(n, n));
            for (int i = 0; i < 2; i++) {
                try (NDArray c = a.matMul(b)) {
                    c.toFloatArray();
                }
            }
            int perRound = 4;
            for (int r = 0; r < rounds; r++) {
                long start = System.nanoTime();
                float sink = 0;
                for (int i = 0; i < perRound; i++) {
                    try (NDArray c = a.matMul(b); NDArray s = c.get(0, 0)) {
                        sink += s.getFloat();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (Float.isNaN(sink)) {
                    throw new IllegalStateException("the matrix product returned NaN");
                }
                best = Math.max(best, perRound * 2.0 * n * n * n / seconds);
            }
        }
        return best;
    }
}
