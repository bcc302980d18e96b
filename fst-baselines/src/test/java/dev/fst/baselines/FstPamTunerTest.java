package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.fst.FeatureShiftTuner;
import dev.fst.data.Augmentation;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.Purifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** FST+PAM: FST's loss, head re-initialisation and projection, with the gradient taken at PAM's point. */
class FstPamTunerTest {

    private static final int N = 32;
    private static final double LR = 0.05;
    private static final double RHO = 0.5;
    private static final double ALPHA = 0.2;
    private static final String HEAD_W = "02Linear_weight";
    private static final String HEAD_B = "02Linear_bias";
    private static final List<String> VGG_HEAD = List.of("02SequentialBlock_01Linear_weight",
            "02SequentialBlock_04Linear_weight", "02SequentialBlock_07Linear_weight");

    @Test
    void rhoZero_isFeatureShiftTuningBitForBit() {
        for (Supplier<Model> model : List.<Supplier<Model>>of(() -> TestModels.cnn(4, 8, 3), () -> TestModels.vgg(4, 8, 3))) {
            Map<String, float[]> fstPam = afterRun(FstPamTuner.builder().rho(0).alpha(ALPHA).heldOutFraction(0).epochs(2).batchSize(16)
                    .learningRate(0.02).seed(7).build(), model.get());
            Map<String, float[]> fst = afterRun(FeatureShiftTuner.paperBuilder().alpha(ALPHA).epochs(2).batchSize(16)
                    .learningRate(0.02).seed(7).build(), model.get());
            assertEquals(List.of(), Snapshots.changed(fst, fstPam), "same weights and BatchNorm statistics");
        }
    }

    @Test
    void projection_keepsEveryHeadLayerAtItsOriginalNorm() {
        Map<String, float[]> original;
        try (Model model = TestModels.vgg(4, 8, 3)) {
            original = Snapshots.parameters(model);
        }
        Map<String, float[]> projected = afterRun(FstPamTuner.builder().epochs(2).batchSize(16).learningRate(0.05)
                .build(), TestModels.vgg(4, 8, 3));
        Map<String, float[]> free = afterRun(FstPamTuner.builder().projection(false).epochs(2).batchSize(16)
                .learningRate(0.05).build(), TestModels.vgg(4, 8, 3));
        double worstFree = 0;
        for (String layer : VGG_HEAD) {
            double target = norm(original.get(layer));
            assertEquals(target, norm(projected.get(layer)), 1e-5 * target, layer);
            worstFree = Math.max(worstFree, Math.abs(norm(free.get(layer)) - target) / target);
        }
        assertTrue(worstFree > 1e-3, "without the projection the norms drift: " + worstFree);
    }

    @Test
    void firstStep_takesFstsGradientAtAPointTowardsTheOriginalModel() {
        SyntheticImages images = SyntheticImages.generate(N, 3, 8, 11);
        Map<String, float[]> original;
        try (Model model = TestModels.cnn(3, 8, 5)) {
            original = Snapshots.parameters(model);
        }
        // the re-initialised head: FST with the same seed and a step too small to change a float
        Map<String, float[]> reinitialised = afterRun(FeatureShiftTuner.paperBuilder().projection(false).heldOutFraction(0).epochs(1)
                .batchSize(N).learningRate(1e-30).augmentation(Augmentation.none()).build(), TestModels.cnn(3, 8, 5), images);
        Map<String, float[]> tuned = afterRun(FstPamTuner.builder().rho(RHO).alpha(ALPHA).heldOutFraction(0).epochs(1).batchSize(N)
                .momentum(0).learningRate(LR).augmentation(Augmentation.none()).build(), TestModels.cnn(3, 8, 5), images);
        Map<String, float[]> fst = afterRun(FeatureShiftTuner.paperBuilder().alpha(ALPHA).heldOutFraction(0).epochs(1).batchSize(N)
                .momentum(0).learningRate(LR).augmentation(Augmentation.none()).build(), TestModels.cnn(3, 8, 5), images);

        List<float[]> expected;
        List<String> names = new ArrayList<>();
        try (Model model = TestModels.cnn(3, 8, 5); NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(images.pixels, new Shape(N, 3, 8, 8));
            NDArray y = m.create(images.labels);
            List<Parameter> params = PathAwareMinimizerTest.trainable(model);
            List<float[]> bd = new ArrayList<>();
            List<float[]> theta = new ArrayList<>();
            for (var pair : model.getBlock().getParameters()) {
                if (pair.getValue().requiresGradient()) {
                    names.add(pair.getKey());
                    bd.add(original.get(pair.getKey()));
                    boolean head = pair.getKey().equals(HEAD_W) || pair.getKey().equals(HEAD_B);
                    theta.add(head ? reinitialised.get(pair.getKey()) : original.get(pair.getKey()));
                }
            }
            PathAwareMinimizerTest.set(params, PathAwareMinimizerTest.shifted(theta, bd, RHO), m);
            NDArray w0 = m.create(original.get(HEAD_W), new Shape(3, 16));
            Parameter head = model.getBlock().getParameters().get(HEAD_W);
            try (GradientCollector collector = m.getEngine().newGradientCollector()) {
                NDArray logits = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), true)
                        .singletonOrThrow();
                NDArray penalty = head.getArray().mul(w0);
                penalty.attach(m);
                NDArray loss = logits.logSoftmax(1).mul(y.oneHot(3)).sum().neg().div(N)
                        .add(penalty.sum().mul((float) ALPHA));
                collector.backward(loss);
            }
            List<float[]> gradients = PathAwareMinimizerTest.gradients(params);
            expected = new ArrayList<>();
            for (int i = 0; i < theta.size(); i++) {
                float[] values = new float[theta.get(i).length];
                for (int j = 0; j < values.length; j++) {
                    values[j] = theta.get(i)[j] - (float) LR * gradients.get(i)[j];
                }
                if (names.get(i).equals(HEAD_W)) {
                    double scale = norm(original.get(HEAD_W)) / norm(values);
                    for (int j = 0; j < values.length; j++) {
                        values[j] = (float) (values[j] * scale);
                    }
                }
                expected.add(values);
            }
        }
        double worst = 0;
        double fromFst = 0;
        for (int i = 0; i < names.size(); i++) {
            worst = Math.max(worst, SimpleModesTest.maxDiff(expected.get(i), tuned.get(names.get(i))));
            fromFst = Math.max(fromFst, SimpleModesTest.maxDiff(fst.get(names.get(i)), tuned.get(names.get(i))));
        }
        assertTrue(worst < 1e-5, "one step of FST's loss at theta + rho (theta_bd - theta) / ||.||: max diff " + worst);
        assertTrue(fromFst > 1e-4, "not FST's step at theta: " + fromFst);
    }

    @Test
    void builder_defaultsAndValidation() {
        FstPamTuner tuner = FstPamTuner.builder().build();
        assertEquals(0.2, tuner.alpha());
        assertEquals(0.5, tuner.rho());
        assertTrue(tuner.projection());
        assertEquals(0.9, tuner.config().momentum(), "FST's shared defaults");
        assertEquals("FST+PAM", tuner.configuration().get("method"));
        assertEquals("alpha must be a finite number >= 0 but was -0.1", assertThrows(IllegalArgumentException.class,
                () -> FstPamTuner.builder().alpha(-0.1)).getMessage());
        assertEquals("rho must be a finite number >= 0 but was NaN", assertThrows(IllegalArgumentException.class,
                () -> FstPamTuner.builder().rho(Double.NaN)).getMessage());
        assertThrows(IllegalStateException.class, () -> FstPamTuner.builder().rho(1).rho(1));
        assertThrows(IllegalStateException.class, () -> FstPamTuner.builder().alpha(1).alpha(1));
        assertThrows(IllegalStateException.class, () -> FstPamTuner.builder().projection(true).projection(true));
    }

    private static Map<String, float[]> afterRun(Purifier tuner, Model model) {
        return afterRun(tuner, model, SyntheticImages.generate(48, 4, 8, 5));
    }

    private static Map<String, float[]> afterRun(Purifier tuner, Model model, SyntheticImages images) {
        try (model; NDManager data = NDManager.newBaseManager("PyTorch")) {
            tuner.purify(model, images.dataset(data));
            return Snapshots.parameters(model);
        }
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }
}
