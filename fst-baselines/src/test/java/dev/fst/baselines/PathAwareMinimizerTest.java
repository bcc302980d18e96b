package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.fst.data.Augmentation;
import dev.fst.internal.EngineAdapter;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PAM's step: the gradient at the point moved towards the backdoored weights, the weights put back. */
class PathAwareMinimizerTest {

    private static final int N = 32;
    private static final double LR = 0.05;
    private static final double RHO = 0.5;

    @Test
    void perturbation_takesTheGradientAtTheShiftedPoint_andPutsTheWeightsBackBitForBit() {
        SyntheticImages images = SyntheticImages.generate(N, 3, 8, 11);
        try (Model model = TestModels.cnn(3, 8, 5); NDManager m = NDManager.newBaseManager("PyTorch");
                NDManager run = model.getNDManager().newSubManager()) {
            NDArray x = m.create(images.pixels, new Shape(N, 3, 8, 8));
            NDArray y = m.create(images.labels);
            List<Parameter> params = trainable(model);
            PathPerturbation path = PathPerturbation.capture(params, RHO, run);
            List<float[]> original = values(params);
            for (Parameter p : params) { // tuning has moved the weights away from the backdoored ones
                NDArray noise = m.randomNormal(0, 0.02f, p.getArray().getShape(), p.getArray().getDataType());
                p.getArray().addi(noise);
            }
            List<float[]> theta = values(params);
            List<float[]> shifted = shifted(theta, original, RHO);

            List<List<float[]>> seen = new ArrayList<>();
            try (NDManager scope = run.newSubManager()) {
                path.atPerturbedPoint(scope, () -> {
                    seen.add(values(params));
                    backward(model, x, y, m);
                    return null;
                });
            }
            List<float[]> gradients = gradients(params);
            for (int i = 0; i < params.size(); i++) {
                assertArrayEquals(theta.get(i), values(params).get(i), 0f, "weights put back exactly");
                assertEquals(0, java.util.Arrays.compare(theta.get(i), values(params).get(i)), "bit for bit");
                assertTrue(SimpleModesTest.maxDiff(shifted.get(i), seen.get(0).get(i)) < 1e-6,
                        "the pass ran at theta + rho (theta_bd - theta) / ||theta_bd - theta||");
            }

            // the independent computation: move the weights ourselves, backward, compare
            set(params, shifted, m);
            backward(model, x, y, m);
            List<float[]> expected = gradients(params);
            set(params, theta, m);
            backward(model, x, y, m);
            List<float[]> plain = gradients(params);
            double scale = 0;
            double error = 0;
            double fromPlain = 0;
            for (int i = 0; i < params.size(); i++) {
                scale = Math.max(scale, SimpleModesTest.maxDiff(expected.get(i), new float[expected.get(i).length]));
                error = Math.max(error, SimpleModesTest.maxDiff(expected.get(i), gradients.get(i)));
                fromPlain = Math.max(fromPlain, SimpleModesTest.maxDiff(plain.get(i), gradients.get(i)));
            }
            assertTrue(error < 1e-4 * scale, "gradient at the shifted point: error " + error + " of " + scale);
            assertTrue(fromPlain > 1e-3 * scale, "and not the gradient at theta: " + fromPlain + " of " + scale);
        }
    }

    @Test
    void perturbation_atTheBackdooredWeights_runsThePassThere() {
        try (Model model = TestModels.cnn(3, 8, 5); NDManager run = model.getNDManager().newSubManager()) {
            List<Parameter> params = trainable(model);
            PathPerturbation path = PathPerturbation.capture(params, RHO, run);
            List<float[]> theta = values(params);
            List<List<float[]>> seen = new ArrayList<>();
            try (NDManager scope = run.newSubManager()) {
                path.atPerturbedPoint(scope, () -> seen.add(values(params)));
            }
            for (int i = 0; i < params.size(); i++) {
                assertEquals(0, java.util.Arrays.compare(theta.get(i), seen.get(0).get(i)), "no shift when theta = theta_bd");
            }
            assertEquals(0.0, path.distance(run));
        }
    }

    @Test
    void firstStep_isThePlainFineTuningStep() {
        // one full-batch step: theta = theta_bd, so the gradient is taken at theta itself
        Map<String, float[]> pam = afterRun(PathAwareMinimizer.builder().epochs(1).batchSize(64).learningRate(LR)
                .augmentation(Augmentation.none()).build());
        Map<String, float[]> ft = afterRun(FineTuner.builder().projection(false).momentum(0.1).epochs(1).batchSize(64)
                .learningRate(LR).augmentation(Augmentation.none()).build());
        assertEquals(List.of(), Snapshots.changed(ft, pam), "bit-identical, BatchNorm statistics included");
    }

    @Test
    void rhoZero_isFineTuningBitForBit() {
        Map<String, float[]> pam = afterRun(PathAwareMinimizer.builder().rho(0).epochs(3).batchSize(8).learningRate(LR)
                .seed(4).build());
        Map<String, float[]> ft = afterRun(FineTuner.builder().projection(false).momentum(0.1).epochs(3).batchSize(8)
                .learningRate(LR).seed(4).build());
        assertEquals(List.of(), Snapshots.changed(ft, pam));
    }

    @Test
    void secondStep_usesTheGradientAtTheShiftedPoint() {
        SyntheticImages images = SyntheticImages.generate(N, 3, 8, 11);
        Map<String, float[]> tuned;
        try (Model model = TestModels.cnn(3, 8, 5); NDManager data = NDManager.newBaseManager("PyTorch")) {
            PurificationResult result = PathAwareMinimizer.builder().rho(RHO).epochs(2).batchSize(N).momentum(0).heldOutFraction(0)
                    .learningRate(LR).augmentation(Augmentation.none()).build().purify(model, images.dataset(data));
            tuned = Snapshots.parameters(model);
            assertTrue((double) result.details().get("distanceFromOriginal") > 0);
        }
        Map<String, float[]> expected = new LinkedHashMap<>();
        Map<String, float[]> plain = new LinkedHashMap<>();
        try (Model model = TestModels.cnn(3, 8, 5); NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(images.pixels, new Shape(N, 3, 8, 8));
            NDArray y = m.create(images.labels);
            List<Parameter> params = trainable(model);
            List<float[]> theta0 = values(params);
            backward(model, x, y, m);
            List<float[]> g0 = gradients(params);
            List<float[]> theta1 = step(theta0, g0, LR);
            double secondRate = LR * (1 + Math.cos(Math.PI / 2)) / 2; // the cosine schedule's epoch 2 of 2
            set(params, theta1, m);
            backward(model, x, y, m);
            List<float[]> plainTheta2 = step(theta1, gradients(params), secondRate);
            set(params, shifted(theta1, theta0, RHO), m);
            backward(model, x, y, m);
            List<float[]> theta2 = step(theta1, gradients(params), secondRate);
            for (int i = 0; i < params.size(); i++) {
                expected.put(params.get(i).getName() + i, theta2.get(i));
                plain.put(params.get(i).getName() + i, plainTheta2.get(i));
            }
        }
        List<String> names = tuned.keySet().stream().filter(k -> !k.contains("running")).toList();
        List<float[]> want = new ArrayList<>(expected.values());
        List<float[]> notWanted = new ArrayList<>(plain.values());
        double worst = 0;
        double fromPlain = 0;
        for (int i = 0; i < names.size(); i++) {
            worst = Math.max(worst, SimpleModesTest.maxDiff(want.get(i), tuned.get(names.get(i))));
            fromPlain = Math.max(fromPlain, SimpleModesTest.maxDiff(notWanted.get(i), tuned.get(names.get(i))));
        }
        assertTrue(worst < 1e-5, "theta2 = theta1 - lr2 * grad(theta1 + rho d / ||d||): max diff " + worst);
        assertTrue(fromPlain > 1e-4, "not the plain step theta1 - lr2 * grad(theta1): " + fromPlain);
    }

    @Test
    void builder_defaultsAndValidation() {
        PathAwareMinimizer pam = PathAwareMinimizer.builder().build();
        assertEquals(0.5, pam.rho());
        assertEquals(0.1, pam.config().momentum());
        assertEquals(0.01, pam.config().learningRate());
        assertEquals("PAM", pam.configuration().get("method"));
        assertEquals(0.5, pam.configuration().get("rho"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PathAwareMinimizer.builder().rho(-1));
        assertEquals("rho must be a finite number >= 0 but was -1.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PathAwareMinimizer.builder().rho(Double.POSITIVE_INFINITY));
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> PathAwareMinimizer.builder().rho(1).rho(2));
        assertEquals("rho was already set to 1.0", twice.getMessage());
    }

    static List<Parameter> trainable(Model model) {
        List<Parameter> params = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getValue().requiresGradient()) {
                params.add(p.getValue());
            }
        }
        return params;
    }

    static List<float[]> values(List<Parameter> params) {
        List<float[]> values = new ArrayList<>();
        for (Parameter p : params) {
            values.add(p.getArray().toFloatArray());
        }
        return values;
    }

    static void set(List<Parameter> params, List<float[]> values, NDManager m) {
        for (int i = 0; i < params.size(); i++) {
            NDArray array = params.get(i).getArray();
            array.set(new NDIndex("..."), m.create(values.get(i), array.getShape()));
        }
    }

    /** theta + rho (origin - theta) / ||origin - theta||, in double on the host, one norm over all. */
    static List<float[]> shifted(List<float[]> theta, List<float[]> origin, double rho) {
        double squared = 0;
        for (int i = 0; i < theta.size(); i++) {
            for (int j = 0; j < theta.get(i).length; j++) {
                double d = (double) origin.get(i)[j] - theta.get(i)[j];
                squared += d * d;
            }
        }
        double factor = rho / Math.sqrt(squared);
        List<float[]> result = new ArrayList<>();
        for (int i = 0; i < theta.size(); i++) {
            float[] values = new float[theta.get(i).length];
            for (int j = 0; j < values.length; j++) {
                values[j] = (float) (theta.get(i)[j] + factor * ((double) origin.get(i)[j] - theta.get(i)[j]));
            }
            result.add(values);
        }
        return result;
    }

    private static List<float[]> step(List<float[]> theta, List<float[]> gradients, double rate) {
        List<float[]> result = new ArrayList<>();
        for (int i = 0; i < theta.size(); i++) {
            float[] values = new float[theta.get(i).length];
            for (int j = 0; j < values.length; j++) {
                values[j] = theta.get(i)[j] - (float) rate * gradients.get(i)[j];
            }
            result.add(values);
        }
        return result;
    }

    /** Mean cross-entropy of a training-mode pass, backward; gradients accumulate on the parameters. */
    private static void backward(Model model, NDArray x, NDArray y, NDManager m) {
        try (GradientCollector collector = m.getEngine().newGradientCollector()) {
            NDArray logits = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), true)
                    .singletonOrThrow();
            collector.backward(logits.logSoftmax(1).mul(y.oneHot(3)).sum().neg().div(x.getShape().get(0)));
        }
    }

    /** Reads and zeroes the parameters' gradients. */
    static List<float[]> gradients(List<Parameter> params) {
        List<float[]> gradients = new ArrayList<>();
        for (Parameter p : params) {
            try (NDArray g = EngineAdapter.gradient(p.getArray())) {
                gradients.add(g.toFloatArray());
            }
            EngineAdapter.zeroGradient(p.getArray());
        }
        return gradients;
    }

    private static Map<String, float[]> afterRun(Purifier tuner) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            tuner.purify(model, SyntheticImages.generate(48, 4, 8, 5).dataset(data));
            return Snapshots.parameters(model);
        }
    }
}
