package dev.fst;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.dataset.ArrayDataset;
import dev.fst.head.ClassifierHead;
import dev.fst.head.HeadLayer;
import dev.fst.head.HeadSelector;
import dev.fst.head.InnerProductPenalty;
import dev.fst.head.NormProjection;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.EpochRecord;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.TuningListener;
import dev.fst.tuning.TuningView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureShiftTunerTest {

    @Test
    void penalty_gradientIsExactlyAlphaTimesOriginalWeight() {
        try (Model model = TestModels.vgg(4, 8, 3); NDManager run = model.getNDManager().newSubManager()) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            InnerProductPenalty penalty = InnerProductPenalty.capture(head, 0.2, run);
            for (HeadLayer layer : head.layers()) {
                dev.fst.head.HeadInitializer.fillUniform(layer.weight(), 0.5f, new java.util.Random(1));
            }
            try (NDManager batch = run.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(penalty.evaluate(batch));
                }
                for (int i = 0; i < head.layers().size(); i++) {
                    NDArray grad = head.layers().get(i).weight().getArray().getGradient();
                    grad.attach(batch);
                    float[] expected = penalty.original(i).mul(0.2f).toFloatArray();
                    assertArrayEquals(expected, grad.toFloatArray(), 0f, "layer " + i);
                    dev.fst.optim.TorchSgd.zeroGradient(head.layers().get(i).weight().getArray());
                }
            }
        }
    }

    @Test
    void purify_keepsEveryHeadWeightOnItsOriginalNormAfterEveryStep() {
        try (Model model = TestModels.vgg(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            double[] norms = head.layers().stream().mapToDouble(l -> NormProjection.frobenius(l.weight().getArray())).toArray();
            List<Double> worst = new ArrayList<>();
            TuningListener check =
                    new TuningListener() {
                        @Override
                        public void onBatchEnd(TuningView run) {
                            double max = 0;
                            for (int i = 0; i < norms.length; i++) {
                                double now = NormProjection.frobenius(head.layers().get(i).weight().getArray());
                                max = Math.max(max, Math.abs(now - norms[i]) / norms[i]);
                            }
                            worst.add(max);
                        }
                    };
            FeatureShiftTuner.paperBuilder().epochs(2).batchSize(32).listener(check).build()
                    .purify(model, SyntheticImages.generate(96, 4, 8, 5).dataset(data));
            assertEquals(6, worst.size(), "one check per step");
            for (double error : worst) {
                assertTrue(error < 1e-5, "relative norm error " + error);
            }
        }
    }

    @Test
    void purify_reinitialisesHeadWithinFanInBound() {
        try (Model model = TestModels.vgg(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            Map<String, float[]> before = Snapshots.parameters(model);
            List<String> checked = new ArrayList<>();
            TuningListener check =
                    new TuningListener() {
                        @Override
                        public void onTuningStart(TuningView run) {
                            for (HeadLayer layer : head.layers()) {
                                double bound = 1 / Math.sqrt(layer.inFeatures());
                                for (ai.djl.nn.Parameter p : List.of(layer.weight(), layer.bias())) {
                                    float[] values = p.getArray().toFloatArray();
                                    float max = 0;
                                    for (float v : values) {
                                        assertTrue(Math.abs(v) <= bound, p.getName() + " value " + v + " outside +-" + bound);
                                        max = Math.max(max, Math.abs(v));
                                    }
                                    assertTrue(values.length < 16 || max > 0.8 * bound, "values fill the range: " + max);
                                    checked.add(layer.name() + "." + p.getName());
                                }
                                String key = layer.name() + "_weight";
                                assertFalse(java.util.Arrays.equals(before.get(key), layer.weight().getArray().toFloatArray()));
                            }
                        }
                    };
            FeatureShiftTuner.paperBuilder().epochs(1).listener(check).build()
                    .purify(model, SyntheticImages.generate(32, 4, 8, 5).dataset(data));
            assertEquals(6, checked.size());
        }
    }

    @Test
    void purify_changesEveryParameterAndLeavesNoNaN() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    FeatureShiftTuner.paperBuilder().epochs(2).batchSize(16).build()
                            .purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);
            assertEquals(before.keySet(), new java.util.HashSet<>(Snapshots.changed(before, after)),
                    "every parameter, BatchNorm running statistics included, moved");
            for (Map.Entry<String, float[]> entry : after.entrySet()) {
                for (float v : entry.getValue()) {
                    assertTrue(Float.isFinite(v), entry.getKey() + " holds " + v);
                }
            }
            assertEquals(List.of("02Linear"), result.headLayers());
            assertEquals(2, result.epochs().size());
            assertEquals(64, result.samples());
            assertEquals("(3, 8, 8)", result.imageShape());
            assertEquals("PyTorch", result.environment().get("engine"));
            assertEquals(Engine.getInstance().getVersion(), result.environment().get("engineVersion"));
            assertEquals(Engine.getDjlVersion(), result.environment().get("djl"));
            assertTrue(result.environment().get("djl").matches("0\\.3\\d\\.\\d+"), result.environment().toString());
            assertEquals("cpu()", result.device());
            assertEquals(0L, result.seed());
            assertEquals(0.2, result.configuration().option("alpha", Double.class));
            EpochRecord first = result.epochs().get(0);
            assertEquals(0.01, first.learningRate(), 1e-12);
            assertTrue(result.epochs().get(1).learningRate() < first.learningRate());
            assertTrue(first.tuningAccuracy() >= 0 && first.tuningAccuracy() <= 1);
            assertTrue(Double.isFinite(first.loss()));
        }
    }

    @Test
    void purify_sameSeed_givesIdenticalWeights_otherSeed_differs() {
        Map<String, float[]> a = runWithSeed(11);
        Map<String, float[]> b = runWithSeed(11);
        Map<String, float[]> c = runWithSeed(12);
        assertEquals(List.of(), Snapshots.changed(a, b));
        assertNotEquals(List.of(), Snapshots.changed(a, c));
    }

    private static Map<String, float[]> runWithSeed(long seed) {
        try (Model model = TestModels.vgg(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            ArrayDataset set = SyntheticImages.generate(64, 4, 8, 5).dataset(data);
            FeatureShiftTuner.paperBuilder().epochs(2).batchSize(16).seed(seed).build().purify(model, set);
            return Snapshots.parameters(model);
        }
    }

    @Test
    void purify_channelsLastAndContiguousBatches_giveTheSameWeights() {
        Map<String, float[]> last = runWithLayout(true);
        Map<String, float[]> plain = runWithLayout(false);
        assertEquals(plain.keySet(), last.keySet());
        for (String name : plain.keySet()) {
            float[] a = plain.get(name);
            float[] b = last.get(name);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-4f + 1e-4f * Math.abs(a[i]), name + "[" + i + "]");
            }
        }
    }

    private static Map<String, float[]> runWithLayout(boolean channelsLast) {
        try (Model model = TestModels.vgg(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            ArrayDataset set = SyntheticImages.generate(64, 4, 8, 5).dataset(data);
            FeatureShiftTuner.paperBuilder().epochs(2).batchSize(16).seed(3).channelsLast(channelsLast)
                    .build().purify(model, set);
            return Snapshots.parameters(model);
        }
    }

    @Test
    void purify_nativeMemoryStaysFlatAcrossEpochs() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            List<Integer> live = new ArrayList<>();
            TuningListener count =
                    new TuningListener() {
                        @Override
                        public void onEpochEnd(TuningView run, EpochRecord record) {
                            live.add(model.getNDManager().getManagedArrays().size());
                        }
                    };
            FeatureShiftTuner.paperBuilder().epochs(5).batchSize(16).listener(count).build()
                    .purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            assertEquals(5, live.size());
            assertEquals(live.get(1), live.get(4), "live arrays per epoch: " + live);
        }
    }

    @Test
    void purify_torchScriptModel_memoryFlatAndHeadMoves() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true); NDManager data = NDManager.newBaseManager("PyTorch")) {
            float[] fc = model.getBlock().getParameters().get("fc.weight").getArray().toFloatArray();
            List<Integer> live = new ArrayList<>();
            TuningListener count =
                    new TuningListener() {
                        @Override
                        public void onEpochEnd(TuningView run, EpochRecord record) {
                            live.add(model.getNDManager().getManagedArrays().size());
                        }
                    };
            PurificationResult result =
                    FeatureShiftTuner.paperBuilder().epochs(5).batchSize(16).listener(count).build()
                            .purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            assertEquals(List.of("fc"), result.headLayers());
            assertEquals(live.get(1), live.get(4), "live arrays per epoch: " + live);
            assertFalse(java.util.Arrays.equals(fc, model.getBlock().getParameters().get("fc.weight").getArray().toFloatArray()));
        }
    }
}
