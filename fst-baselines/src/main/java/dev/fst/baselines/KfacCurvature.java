package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.common.base.Preconditions;

/**
 * The Kronecker-factored curvature of one linear layer with EKFAC eigenbasis rescaling, as NGF
 * (Karim et al.) uses it for the head's last layer.
 *
 * <p>With {@code a~} the layer input with a constant 1 appended when the layer has a bias
 * ({@code k} values) and {@code g} the per-sample gradient of the summed loss with respect to the
 * layer output ({@code C} values):
 *
 * <ul>
 *   <li>{@link #accumulate}: {@code A <- decay A + (1 - decay) mean(a~ a~^T)}, {@code G <- decay G
 *       + (1 - decay) mean(g g^T)}; both start as the identity.
 *   <li>{@link #decompose}: {@code A = Q_A diag(d_A) Q_A^T}, {@code G = Q_G diag(d_G) Q_G^T}
 *       (eigenvalues below {@code 1e-10} set to 0), {@code S = d_G d_A^T}.
 *   <li>{@link #rescale}: {@code S <- decay S + (1 - decay) mean((Q_G^T g)^2 ((Q_A^T a~)^2)^T)}.
 *   <li>{@link #precondition}: {@code V = Q_G [(Q_G^T grad Q_A) / (S + damping)] Q_A^T}.
 * </ul>
 *
 * <p>The factors are float32 arrays (as in the reference); the eigendecomposition runs in double
 * precision on the host ({@link SymmetricEigen}). Not thread-safe; one instance per run.
 */
final class KfacCurvature {

    /** Eigenvalues below this are treated as 0, as in the reference. */
    static final double EIGENVALUE_FLOOR = 1e-10;

    private final int inputs;
    private final int outputs;
    private final float decay;
    private final float damping;
    private final NDManager manager;
    private final NDArray inputFactor;
    private final NDArray outputFactor;
    private NDArray inputBasis;
    private NDArray outputBasis;
    private NDArray scales;

    /**
     * Creates the statistics, both factors at the identity.
     *
     * @param inputs {@code k}: the layer's inputs, plus 1 for a bias
     * @param outputs {@code C}: the layer's outputs
     * @param decay the running-average factor, in (0, 1)
     * @param damping added to the eigenbasis scales before dividing, {@code > 0}
     * @param parent the manager the statistics live in (a sub-manager of it is used)
     */
    KfacCurvature(int inputs, int outputs, double decay, double damping, NDManager parent) {
        this.inputs = inputs;
        this.outputs = outputs;
        this.decay = (float) decay;
        this.damping = (float) damping;
        this.manager = parent.newSubManager();
        this.inputFactor = manager.eye(inputs);
        this.outputFactor = manager.eye(outputs);
    }

    /**
     * Folds one mini-batch into the running averages of {@code A} and {@code G}.
     *
     * @param layerInputs {@code a~}, shape (N, k), without gradient recording
     * @param outputGradients {@code g}, shape (N, C)
     */
    void accumulate(NDArray layerInputs, NDArray outputGradients) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray batchA = scoped(scope, meanOuter(scope, layerInputs));
            NDArray batchG = scoped(scope, meanOuter(scope, outputGradients));
            inputFactor.muli(decay).addi(batchA.muli(1 - decay));
            outputFactor.muli(decay).addi(batchG.muli(1 - decay));
        }
    }

    /** Eigendecomposes {@code A} and {@code G} and resets {@code S} to {@code d_G d_A^T}. */
    void decompose() {
        SymmetricEigen a = SymmetricEigen.of(toMatrix(inputFactor, inputs));
        SymmetricEigen g = SymmetricEigen.of(toMatrix(outputFactor, outputs));
        replaceBases(toArray(a.vectors()), toArray(g.vectors()));
        try (NDManager scope = manager.newSubManager()) {
            NDArray dA = scope.create(floored(a.values())).reshape(1, inputs);
            NDArray dG = scope.create(floored(g.values())).reshape(outputs, 1);
            NDArray outer = dG.mul(dA);
            outer.attach(manager);
            if (scales != null) {
                scales.close();
            }
            scales = outer;
        }
    }

    /**
     * Moves {@code S} towards the mean squared per-sample gradients in the current eigenbasis
     * (EKFAC); call after {@link #decompose} at least once.
     *
     * @param layerInputs {@code a~}, shape (N, k)
     * @param outputGradients {@code g}, shape (N, C)
     */
    void rescale(NDArray layerInputs, NDArray outputGradients) {
        requireBases();
        try (NDManager scope = manager.newSubManager()) {
            NDArray a = scoped(scope, layerInputs.matMul(inputBasis)).square();
            NDArray g = scoped(scope, outputGradients.matMul(outputBasis)).square();
            NDArray batchS =
                    g.transpose().matMul(a).div((float) layerInputs.getShape().get(0));
            scales.muli(decay).addi(batchS.muli(1 - decay));
        }
    }

    /**
     * Returns the preconditioned gradient {@code V = Q_G [(Q_G^T grad Q_A) / (S + damping)]
     * Q_A^T}.
     *
     * @param gradient the layer's gradient, shape (C, k), bias column last
     * @param scope the manager of the result and of every temporary
     * @return {@code V}, shape (C, k), in {@code scope}
     */
    NDArray precondition(NDArray gradient, NDManager scope) {
        requireBases();
        NDArray outputBasisT = scoped(scope, outputBasis.transpose());
        NDArray inputBasisT = scoped(scope, inputBasis.transpose());
        NDArray denominator = scoped(scope, scales.add(damping));
        NDArray inBasis = scoped(scope, outputBasisT.matMul(gradient)).matMul(inputBasis);
        NDArray scaled = inBasis.div(denominator);
        return scoped(scope, outputBasis.matMul(scaled)).matMul(inputBasisT);
    }

    private void requireBases() {
        Preconditions.checkState(scales != null, "decompose() must run before the first use");
    }

    private void replaceBases(NDArray newInputBasis, NDArray newOutputBasis) {
        if (inputBasis != null) {
            inputBasis.close();
            outputBasis.close();
        }
        inputBasis = newInputBasis;
        outputBasis = newOutputBasis;
    }

    private static NDArray meanOuter(NDManager scope, NDArray rows) {
        NDArray transposed = scoped(scope, rows.transpose());
        return transposed.matMul(rows).div((float) rows.getShape().get(0));
    }

    private static NDArray scoped(NDManager scope, NDArray array) {
        array.attach(scope);
        return array;
    }

    private static double[][] toMatrix(NDArray square, int n) {
        float[] values = square.toFloatArray();
        double[][] matrix = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                matrix[i][j] = values[i * n + j];
            }
        }
        return matrix;
    }

    private NDArray toArray(double[][] matrix) {
        int n = matrix.length;
        float[] values = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                values[i * n + j] = (float) matrix[i][j];
            }
        }
        return manager.create(values, new Shape(n, n));
    }

    private static float[] floored(double[] eigenvalues) {
        float[] values = new float[eigenvalues.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = eigenvalues[i] < EIGENVALUE_FLOOR ? 0f : (float) eigenvalues[i];
        }
        return values;
    }
}
