package dev.fst.bench;

import java.util.Random;

/**
 * Exact t-SNE (van der Maaten and Hinton, JMLR 2008) for a few thousand points: Gaussian input
 * affinities calibrated by binary search to a perplexity, Student-t output affinities, gradient
 * descent with momentum (0.5, then 0.8 after 250 iterations), per-coordinate gains and early
 * exaggeration (12 for the first 100 iterations). Quadratic in the number of points per
 * iteration; deterministic for a seed.
 */
final class Tsne {

    private final double perplexity;
    private final int iterations;
    private final long seed;

    Tsne(double perplexity, int iterations, long seed) {
        this.perplexity = perplexity;
        this.iterations = iterations;
        this.seed = seed;
    }

    /**
     * Embeds the rows of {@code x} in two dimensions.
     *
     * @param x n points of d features
     * @return n rows of 2 coordinates
     */
    double[][] embed(double[][] x) {
        int n = x.length;
        double[][] p = affinities(x);
        Random random = new Random(seed);
        double[][] y = new double[n][2];
        for (double[] row : y) {
            row[0] = 1e-4 * random.nextGaussian();
            row[1] = 1e-4 * random.nextGaussian();
        }
        double[][] velocity = new double[n][2];
        double[][] gains = new double[n][2];
        for (double[] g : gains) {
            g[0] = 1;
            g[1] = 1;
        }
        double[][] q = new double[n][n];
        double[][] grad = new double[n][2];
        double learningRate = 200;
        for (int it = 0; it < iterations; it++) {
            double exaggeration = it < 100 ? 12 : 1;
            double momentum = it < 250 ? 0.5 : 0.8;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double dx = y[i][0] - y[j][0];
                    double dy = y[i][1] - y[j][1];
                    double v = 1 / (1 + dx * dx + dy * dy);
                    q[i][j] = v;
                    q[j][i] = v;
                    sum += 2 * v;
                }
            }
            for (int i = 0; i < n; i++) {
                double gx = 0;
                double gy = 0;
                for (int j = 0; j < n; j++) {
                    if (i != j) {
                        double m = (exaggeration * p[i][j] - q[i][j] / sum) * q[i][j];
                        gx += m * (y[i][0] - y[j][0]);
                        gy += m * (y[i][1] - y[j][1]);
                    }
                }
                grad[i][0] = 4 * gx;
                grad[i][1] = 4 * gy;
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < 2; k++) {
                    boolean sameSign = Math.signum(grad[i][k]) == Math.signum(velocity[i][k]);
                    gains[i][k] = Math.max(0.01, sameSign ? gains[i][k] * 0.8 : gains[i][k] + 0.2);
                    velocity[i][k] = momentum * velocity[i][k] - learningRate * gains[i][k] * grad[i][k];
                    y[i][k] += velocity[i][k];
                }
            }
            double mx = 0;
            double my = 0;
            for (double[] row : y) {
                mx += row[0] / n;
                my += row[1] / n;
            }
            for (double[] row : y) {
                row[0] -= mx;
                row[1] -= my;
            }
        }
        return y;
    }

    /** Symmetric input affinities P, each row's conditional matched to the perplexity. */
    private double[][] affinities(double[][] x) {
        int n = x.length;
        double[][] d = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                for (int k = 0; k < x[i].length; k++) {
                    double t = x[i][k] - x[j][k];
                    s += t * t;
                }
                d[i][j] = s;
                d[j][i] = s;
            }
        }
        double target = Math.log(perplexity);
        double[][] p = new double[n][n];
        for (int i = 0; i < n; i++) {
            double beta = 1;
            double lo = 0;
            double hi = Double.POSITIVE_INFINITY;
            double[] row = p[i];
            for (int step = 0; step < 60; step++) {
                double sum = 0;
                double weighted = 0;
                for (int j = 0; j < n; j++) {
                    row[j] = j == i ? 0 : Math.exp(-beta * d[i][j]);
                    sum += row[j];
                    weighted += row[j] * d[i][j];
                }
                sum = Math.max(sum, 1e-300);
                double entropy = Math.log(sum) + beta * weighted / sum;
                for (int j = 0; j < n; j++) {
                    row[j] /= sum;
                }
                if (Math.abs(entropy - target) < 1e-5) {
                    break;
                }
                if (entropy > target) {
                    lo = beta;
                    beta = hi == Double.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = (beta + lo) / 2;
                }
            }
        }
        double[][] sym = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                sym[i][j] = Math.max((p[i][j] + p[j][i]) / (2 * n), 1e-12);
            }
        }
        return sym;
    }
}
