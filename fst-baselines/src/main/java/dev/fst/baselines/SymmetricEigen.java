package dev.fst.baselines;

import com.google.common.base.Preconditions;

/**
 * The eigendecomposition {@code M = Q diag(values) Q^T} of a real symmetric matrix, computed in
 * double precision by the cyclic Jacobi method (DJL has no {@code eigh}). Jacobi is slow for large
 * matrices (each sweep costs {@code O(n^3)} operations, and several sweeps are needed) but simple
 * and accurate to rounding error, also for repeated eigenvalues, which is what the curvature factors of {@link
 * NaturalGradientTuner} need: they are identity-initialised running averages, so their spectra are
 * full of ties.
 *
 * <p>Eigenvalues are sorted ascending; column {@code j} of {@link #vectors()} is the unit
 * eigenvector of {@code values()[j]}. Immutable.
 */
final class SymmetricEigen {

    private static final int MAX_SWEEPS = 64;
    /**
     * An off-diagonal entry below this share of its two diagonal entries, or of the matrix's
     * Frobenius norm, is set to zero instead of rotated away (its effect is at rounding level).
     */
    private static final double NEGLIGIBLE = 1e-16;

    private final double[] values;
    private final double[][] vectors;

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /**
     * Decomposes a symmetric matrix. Only symmetry up to rounding is expected: the matrix is
     * symmetrised as {@code (M + M^T) / 2} first.
     *
     * @param matrix a square matrix with finite entries; not modified
     * @return the decomposition
     * @throws IllegalArgumentException if the matrix is empty, not square or not finite
     * @throws IllegalStateException if the iteration does not converge (not seen in practice)
     */
    static SymmetricEigen of(double[][] matrix) {
        int n = matrix.length;
        Preconditions.checkArgument(n > 0, "the matrix must not be empty");
        for (int i = 0; i < n; i++) {
            Preconditions.checkArgument(
                    matrix[i].length == n,
                    "the matrix must be square but row %s has %s entries for %s rows",
                    i,
                    matrix[i].length,
                    n);
        }
        double[][] a = new double[n][n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double value = 0.5 * (matrix[i][j] + matrix[j][i]);
                Preconditions.checkArgument(
                        Double.isFinite(value),
                        "the matrix holds a non-finite entry at (%s, %s)",
                        i,
                        j);
                a[i][j] = value;
                norm += value * value;
            }
        }
        double[][] rotated = new double[n][n];
        for (int i = 0; i < n; i++) {
            rotated[i][i] = 1;
        }
        double floor = NEGLIGIBLE * Math.sqrt(norm);
        for (int sweep = 0; offDiagonal(a) > 0; sweep++) {
            if (sweep == MAX_SWEEPS) {
                throw new IllegalStateException(
                        "the Jacobi eigenvalue iteration did not converge in "
                                + MAX_SWEEPS
                                + " sweeps");
            }
            for (int p = 0; p < n - 1; p++) {
                for (int r = p + 1; r < n; r++) {
                    rotate(a, rotated, p, r, floor);
                }
            }
        }
        return sorted(a, rotated);
    }

    /** Sum of squares of the entries above the diagonal; exactly 0 once converged. */
    private static double offDiagonal(double[][] a) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                sum += a[i][j] * a[i][j];
            }
        }
        return sum;
    }

    /**
     * Applies the plane rotation {@code J} in the (p, r) plane that zeroes {@code a[p][r]}:
     * {@code a <- J^T a J}, and the same to the rows of {@code rotated} (the transposed eigenvector
     * matrix: row {@code i} holds eigenvector {@code i}); a negligible entry is zeroed without
     * rotating.
     * Only off-diagonal rows and columns p and r change besides the two diagonal entries, which
     * move by {@code -+ t a[p][r]}.
     */
    private static void rotate(double[][] a, double[][] rotated, int p, int r, double floor) {
        double apr = a[p][r];
        double size = Math.abs(apr);
        if (size <= floor || size <= NEGLIGIBLE * (Math.abs(a[p][p]) + Math.abs(a[r][r]))) {
            a[p][r] = 0;
            a[r][p] = 0;
            return;
        }
        double theta = (a[r][r] - a[p][p]) / (2 * apr);
        double t =
                Double.isInfinite(theta * theta)
                        ? 0.5 / theta
                        : Math.signum(theta == 0 ? 1 : theta)
                                / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        int n = a.length;
        double[] rowP = a[p];
        double[] rowR = a[r];
        for (int k = 0; k < n; k++) {
            if (k == p || k == r) {
                continue;
            }
            double apk = rowP[k];
            double ark = rowR[k];
            double newP = c * apk - s * ark;
            double newR = s * apk + c * ark;
            rowP[k] = newP;
            rowR[k] = newR;
            a[k][p] = newP;
            a[k][r] = newR;
        }
        rowP[p] -= t * apr;
        rowR[r] += t * apr;
        rowP[r] = 0;
        rowR[p] = 0;
        double[] vectorP = rotated[p];
        double[] vectorR = rotated[r];
        for (int k = 0; k < n; k++) {
            double x = vectorP[k];
            double y = vectorR[k];
            vectorP[k] = c * x - s * y;
            vectorR[k] = s * x + c * y;
        }
    }

    private static SymmetricEigen sorted(double[][] a, double[][] rotated) {
        int n = a.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[x][x], a[y][y]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int j = 0; j < n; j++) {
            values[j] = a[order[j]][order[j]];
            for (int i = 0; i < n; i++) {
                vectors[i][j] = rotated[order[j]][i];
            }
        }
        return new SymmetricEigen(values, vectors);
    }

    /**
     * Returns the eigenvalues in ascending order.
     *
     * @return a copy
     */
    double[] values() {
        return values.clone();
    }

    /**
     * Returns the orthonormal eigenvectors as columns: {@code vectors()[i][j]} is component {@code
     * i} of the eigenvector of {@code values()[j]}.
     *
     * @return a copy
     */
    double[][] vectors() {
        double[][] copy = new double[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            copy[i] = vectors[i].clone();
        }
        return copy;
    }
}
