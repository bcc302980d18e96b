package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.fst.internal.EngineAdapter;
import dev.fst.optim.TorchSgd;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.optim.LearningRateSchedule;
import dev.fst.tuning.PurificationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ImplicitBackdoorUnlearnerTest {

    private static final double INNER_RATE = 0.1;
    private static final double L2 = 0.001;

    @Test
    void hypergradient_matchesAnIndependentDoubleBackward_andDiffersFromThePlainGradient() {
        try (Model model = TestModels.cnn(3, 8, 11);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ParameterStore store = new ParameterStore(model.getNDManager(), false);
            Function<NDArray, NDArray> forward =
                    x -> model.getBlock().forward(store, new NDList(x), false).singletonOrThrow();
            assertExactHypergradient(forward, trainableWeights(model), manager, 5e-3);
        }
    }

    /**
     * A TorchScript module runs in evaluation mode with autograd on (DJL's own inference forward of
     * one disables autograd): gradients and second derivatives flow, and BatchNorm keeps its
     * running statistics.
     */
    @Test
    void torchScriptInInferenceMode_givesExactHypergradients_andKeepsRunningStatistics() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ParameterStore store = new ParameterStore(model.getNDManager(), false);
            Function<NDArray, NDArray> forward =
                    x -> EngineAdapter.forward(model.getBlock(), store, new NDList(x), false).singletonOrThrow();
            NDArray probe = manager.create(SyntheticImages.generate(4, 4, 8, 3).pixels, new Shape(4, 3, 8, 8));
            float[] before = model.getBlock().forward(store, new NDList(probe), false).singletonOrThrow().toFloatArray();
            assertExactHypergradient(forward, trainableWeights(model), manager, 1e-4);
            float[] after = model.getBlock().forward(store, new NDList(probe), false).singletonOrThrow().toFloatArray();
            assertArrayEquals(before, after, 0f, "BatchNorm running statistics unchanged");
        }
    }

    private static List<NDArray> trainableWeights(Model model) {
        List<NDArray> weights = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            if (pair.getValue().requiresGradient()) {
                pair.getValue().getArray().setRequiresGradient(true);
                weights.add(pair.getValue().getArray());
            }
        }
        return weights;
    }

    /**
     * The hypergradient through TorchAutograd equals one through DJL's create-graph backward, and
     * its implicit term changes the plain gradient by more than {@code minimumImplicit} (relative).
     */
    private static void assertExactHypergradient(
            Function<NDArray, NDArray> forward, List<NDArray> weights, NDManager manager, double minimumImplicit) {
        SyntheticImages data = SyntheticImages.generate(16, 3, 8, 7);
        NDArray images = manager.create(data.pixels, new Shape(16, 3, 8, 8));
        NDArray labels = manager.create(data.labels);
        NDArray x0 = images.get("0:8");
        NDArray y0 = labels.get("0:8");
        NDArray x = images.get("8:16");
        NDArray y = labels.get("8:16");
        Engine.getEngine("PyTorch").setRandomSeed(5);
        NDArray delta = manager.randomNormal(0, 0.3f, new Shape(1, 3, 8, 8), DataType.FLOAT32);
        NDArray mask = manager.ones(new Shape(8, 1, 1, 1));
        UnlearningLosses losses =
                new UnlearningLosses(
                        forward,
                        weights,
                        () -> Engine.getEngine("PyTorch").newGradientCollector(),
                        L2);
        try (NDManager scope = manager.newSubManager()) {
            UnlearningLosses.Outer outer = losses.outerGradient(x, y, mask, delta, scope);
            for (NDArray gradient : outer.gradients().weights()) {
                assertTrue(gradient.abs().sum().getFloat() > 0, "every weight gets a gradient");
            }
            Hypergradient.Result production;
            try (UnlearningLosses.InnerCurvature curvature =
                    losses.curvature(x0, y0, delta, scope)) {
                production =
                        Hypergradient.compute(outer.gradients(), curvature, INNER_RATE, 5, scope);
            }
            Hypergradient.Result reference =
                    Hypergradient.compute(
                            outer.gradients(),
                            new DoubleBackwardCurvature(forward, weights, x0, y0, delta),
                            INNER_RATE,
                            5,
                            scope);
            assertEquals(5, production.iterations());
            float[] plain = flatten(outer.gradients().weights());
            float[] exact = flatten(production.weights());
            float[] independent = flatten(reference.weights());
            double error = distance(exact, independent) / norm(independent);
            double implicit = distance(independent, plain) / norm(plain);
            assertTrue(error < 1e-6, "relative difference of the two exact routes: " + error);
            assertTrue(implicit > minimumImplicit, "the implicit term changes the gradient by " + implicit);
        }
    }

    @Test
    void hypergradient_followsTheFixedPointRecursion() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            // H_dd = diag(2, 4), H_td = [[1, 2], [3, 4]], g_delta = (1, 1), g_theta = (0.5, -0.5).
            // K = 3: v = g + (1 - 0.1 H) g + (1 - 0.1 H)^2 g = (2.44, 1.96);
            // hypergradient = g_theta - 0.1 * H_td v = (0.5 - 0.636, -0.5 - 1.516).
            int[] calls = new int[2];
            Hypergradient.Curvature curvature =
                    (v, withWeights, scope) -> {
                        calls[withWeights ? 1 : 0]++;
                        float[] a = v.toFloatArray();
                        NDArray dd = scope.create(new float[] {2 * a[0], 4 * a[1]});
                        float[] mixed = {a[0] + 2 * a[1], 3 * a[0] + 4 * a[1]};
                        List<NDArray> td =
                                withWeights ? List.of(scope.create(mixed)) : List.<NDArray>of();
                        return new Derivatives(dd, td);
                    };
            try (NDManager scope = manager.newSubManager()) {
                NDArray outerWeight = scope.create(new float[] {0.5f, -0.5f});
                Derivatives outer =
                        new Derivatives(scope.create(new float[] {1, 1}), List.of(outerWeight));
                Hypergradient.Result result = Hypergradient.compute(outer, curvature, 0.1, 3, scope);
                assertEquals(3, result.iterations());
                float[] hypergradient = result.weights().get(0).toFloatArray();
                assertArrayEquals(new float[] {-0.136f, -2.016f}, hypergradient, 1e-6f);
                assertArrayEquals(new int[] {2, 1}, calls, "K - 1 delta-only products, one full");
                assertArrayEquals(new float[] {0.5f, -0.5f}, outerWeight.toFloatArray(), "input kept");
            }
        }
    }

    @Test
    void hypergradient_stopsEarly_whenVStopsChanging() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            // innerRate * H_dd = identity: the second iteration gives v = g_delta again.
            Hypergradient.Curvature curvature =
                    (v, withWeights, scope) -> {
                        NDArray dd = v.mul(10f);
                        dd.attach(scope);
                        List<NDArray> td =
                                withWeights ? List.of(scope.zeros(new Shape(1))) : List.<NDArray>of();
                        return new Derivatives(dd, td);
                    };
            try (NDManager scope = manager.newSubManager()) {
                Derivatives outer =
                        new Derivatives(
                                scope.create(new float[] {1, -2}),
                                List.of(scope.create(new float[] {3})));
                Hypergradient.Result result = Hypergradient.compute(outer, curvature, 0.1, 5, scope);
                assertEquals(2, result.iterations());
                assertArrayEquals(new float[] {3}, result.weights().get(0).toFloatArray());
            }
        }
    }

    @Test
    void purify_inInferenceMode_movesWeights_keepsBatchNormStatistics_andIsDeterministic() {
        Map<String, float[]> first = purifyOnce();
        Map<String, float[]> second = purifyOnce();
        for (String name : first.keySet()) {
            assertArrayEquals(first.get(name), second.get(name), name + " differs between seeds 0");
        }
    }

    private static Map<String, float[]> purifyOnce() {
        try (Model model = TestModels.cnn(4, 8, 3);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    ImplicitBackdoorUnlearner.builder().epochs(2).batchSize(16).build()
                            .purify(model, SyntheticImages.generate(32, 4, 8, 5).dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);
            List<String> changed = Snapshots.changed(before, after);
            for (String name : before.keySet()) {
                boolean statistic = name.contains("running");
                String why = name + (statistic ? " changed" : " did not change");
                assertEquals(!statistic, changed.contains(name), why);
            }
            List<?> norms = (List<?>) result.details().get("perturbationNorms");
            assertEquals(2, norms.size(), "one perturbation per round");
            assertTrue(((Double) norms.get(0)) > 0, "the perturbation search moved delta");
            assertTrue(result.epochs().stream().allMatch(e -> e.learningRate() == 1e-4), "constant rate recorded");
            assertEquals(LearningRateSchedule.constant(), result.configuration().shared().schedule());
            assertEquals("AMSGrad (betas 0.9, 0.999, eps 1e-8)", result.configuration().shared().optimizer().toString());
            assertEquals(16L, result.details().get("innerBatchSize"));
            return after;
        }
    }

    @Test
    void oneStep_isAdamsFirstStep_ofExactlyTheLearningRate() {
        // Adam's first step is lr * m / sqrt(v) with bias-corrected m = g and v = g^2: every weight
        // with a gradient moves by lr (1e-4), whatever the gradient's size.
        try (Model model = TestModels.cnn(4, 8, 3);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            ImplicitBackdoorUnlearner.builder().epochs(1).batchSize(32).build()
                    .purify(model, SyntheticImages.generate(32, 4, 8, 5).dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);
            double largest = 0;
            for (String name : before.keySet()) {
                float[] b = before.get(name);
                float[] a = after.get(name);
                for (int i = 0; i < b.length && !name.contains("running"); i++) {
                    double moved = Math.abs(a[i] - b[i]);
                    assertTrue(moved < 1e-4 + 1e-6, name + "[" + i + "] moved " + moved);
                    largest = Math.max(largest, moved);
                }
            }
            assertEquals(1e-4, largest, 1e-6);
        }
    }

    @Test
    void builder_defaults_areBackdoorBenchs() {
        Map<String, Object> c = ImplicitBackdoorUnlearner.builder().build().configuration();
        assertEquals("I-BAU", c.get("method"));
        assertEquals(10.0, c.get("perturbationLearningRate"));
        assertEquals(0.001, c.get("perturbationL2"));
        assertEquals(0.1, c.get("innerRate"));
        assertEquals(5, c.get("fixedPointIterations"));
        assertEquals(0.01, c.get("portion"));
        assertEquals(5, c.get("epochs"));
        assertEquals(1e-4, c.get("learningRate"));
        List<String> expected =
                List.of(
                        "method",
                        "perturbationLearningRate",
                        "perturbationL2",
                        "innerRate",
                        "fixedPointIterations",
                        "portion");
        assertEquals(expected, new ArrayList<>(c.keySet()).subList(0, 6));
        assertEquals("AMSGrad (betas 0.9, 0.999, eps 1e-8)", c.get("optimizer"));
        assertEquals("constant", c.get("schedule"));
    }

    @Test
    void perturbedCount_isFlooredButAtLeastOne() {
        assertEquals(2, ImplicitBackdoorUnlearner.perturbedCount(256, 0.01));
        assertEquals(1, ImplicitBackdoorUnlearner.perturbedCount(50, 0.01));
        assertEquals(16, ImplicitBackdoorUnlearner.perturbedCount(16, 1.0));
    }

    @Test
    void builder_refusesOutOfRangeOptions_withPreciseMessages() {
        assertMessage("perturbationLearningRate must be a finite number > 0 but was 0.0",
                () -> ImplicitBackdoorUnlearner.builder().perturbationLearningRate(0));
        assertMessage("perturbationL2 must be a finite number >= 0 but was -1.0",
                () -> ImplicitBackdoorUnlearner.builder().perturbationL2(-1));
        assertMessage("innerRate must be a finite number > 0 but was NaN",
                () -> ImplicitBackdoorUnlearner.builder().innerRate(Double.NaN));
        assertMessage("fixedPointIterations must be >= 1 but was 0",
                () -> ImplicitBackdoorUnlearner.builder().fixedPointIterations(0));
        assertMessage("portion must be in (0, 1] but was 0.0",
                () -> ImplicitBackdoorUnlearner.builder().portion(0));
        assertMessage("portion must be in (0, 1] but was 1.5",
                () -> ImplicitBackdoorUnlearner.builder().portion(1.5));
        assertMessage("perturbationLearningRate must be a finite number > 0 but was Infinity",
                () -> ImplicitBackdoorUnlearner.builder()
                        .perturbationLearningRate(Double.POSITIVE_INFINITY));
        IllegalStateException twice =
                assertThrows(IllegalStateException.class,
                        () -> ImplicitBackdoorUnlearner.builder().portion(0.5).portion(0.2));
        assertEquals("portion was already set to 0.5", twice.getMessage());
    }

    private static void assertMessage(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    /**
     * Exact Hessian-vector products of the inner loss by another route than production: DJL's
     * create-graph backward leaves gradients that carry a graph in .grad, and a second backward of
     * sum(grad_delta * v) adds H v to every .grad (leaks by a reference cycle, see TorchAutograd;
     * harmless in one test). The cross-entropy is DJL's own loss, not production's.
     */
    private static final class DoubleBackwardCurvature implements Hypergradient.Curvature {
        private final Function<NDArray, NDArray> forward;
        private final List<NDArray> weights;
        private final NDArray images;
        private final NDArray labels;
        private final NDArray delta;

        DoubleBackwardCurvature(
                Function<NDArray, NDArray> forward,
                List<NDArray> weights,
                NDArray images,
                NDArray labels,
                NDArray delta) {
            this.forward = forward;
            this.weights = weights;
            this.images = images;
            this.labels = labels;
            this.delta = delta;
        }

        @Override
        @SuppressWarnings("try") // the recording only switches gradient mode on
        public Derivatives times(NDArray v, boolean withWeights, NDManager scope) {
            try (NDManager local = scope.newSubManager()) {
                NDArray point = delta.duplicate();
                point.attach(local);
                point.setRequiresGradient(true);
                float[] deltaBefore;
                List<float[]> weightsBefore = new ArrayList<>();
                try (GradientCollector recording =
                        Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray logits = forward.apply(point.add(images));
                    NDArray crossEntropy =
                            Loss.softmaxCrossEntropyLoss()
                                    .evaluate(new NDList(labels), new NDList(logits));
                    NDArray loss = crossEntropy.neg().add(point.square().sum().mul((float) L2));
                    JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), true, true);
                    NDArray gradient = gradientOf(point, local);
                    deltaBefore = gradient.toFloatArray();
                    for (NDArray weight : weights) {
                        weightsBefore.add(gradientOf(weight, local).toFloatArray());
                    }
                    NDArray product = gradient.mul(v).sum();
                    JniUtils.backward(
                            (PtNDArray) product, (PtNDArray) product.onesLike(), false, false);
                }
                NDArray deltaProduct = difference(gradientOf(point, local), deltaBefore, scope);
                List<NDArray> weightProducts = new ArrayList<>();
                for (int i = 0; i < weights.size(); i++) {
                    NDArray after = gradientOf(weights.get(i), local);
                    weightProducts.add(difference(after, weightsBefore.get(i), scope));
                    TorchSgd.zeroGradient(weights.get(i));
                }
                return new Derivatives(deltaProduct, weightProducts);
            }
        }

        private static NDArray gradientOf(NDArray array, NDManager local) {
            NDArray gradient = JniUtils.getGradient((PtNDArray) array);
            gradient.attach(local);
            return gradient;
        }

        private static NDArray difference(NDArray after, float[] before, NDManager scope) {
            float[] values = after.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                values[i] -= before[i];
            }
            return scope.create(values, after.getShape());
        }
    }

    private static float[] flatten(List<NDArray> arrays) {
        int length = 0;
        List<float[]> parts = new ArrayList<>();
        for (NDArray array : arrays) {
            float[] part = array.toFloatArray();
            parts.add(part);
            length += part.length;
        }
        float[] all = new float[length];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private static double distance(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(sum);
    }

    private static double norm(float[] a) {
        return distance(a, new float[a.length]);
    }
}
