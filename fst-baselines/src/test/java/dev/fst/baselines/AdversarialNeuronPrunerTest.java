package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.fst.eval.Rate;
import dev.fst.tuning.PurificationResult;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdversarialNeuronPrunerTest {

    private static PurificationResult purify(Model model, AdversarialNeuronPruner.Builder builder) {
        try (NDManager data = NDManager.newBaseManager("PyTorch")) {
            return builder.epochs(2).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(60, 4, 8, 5).dataset(data));
        }
    }

    @Test
    void purify_prunesTheChannelsWithTheSmallestMasks_andNothingElse() {
        try (Model model = TestModels.cnn(4, 8, 3)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    purify(model, AdversarialNeuronPruner.builder().learningRate(2.0).maxAccuracyDrop(1.0));
            Map<String, float[]> after = Snapshots.parameters(model);
            double threshold = (Double) result.details().get("threshold");
            assertEquals(0.9, threshold, 1e-12, "a drop of 100 % accepts the largest threshold");
            for (String name : Snapshots.changed(before, after)) {
                assertTrue(name.endsWith("_gamma"), "pruning touches BatchNorm scales only, not " + name);
            }
            ChannelMasks masks = (ChannelMasks) result.details().get("masks");
            assertEquals(2, masks.layers().size());
            int pruned = 0;
            int kept = 0;
            double largestPruned = Double.NEGATIVE_INFINITY;
            double smallestKept = Double.POSITIVE_INFINITY;
            for (String layer : masks.layers()) {
                float[] m = masks.values(layer);
                float[] gamma0 = before.get(layer + "_gamma");
                float[] gamma = after.get(layer + "_gamma");
                for (int c = 0; c < m.length; c++) {
                    assertTrue(m[c] >= 0 && m[c] <= 1, "masks are clamped to [0, 1]");
                    assertTrue(gamma0[c] != 0);
                    if (m[c] <= threshold) {
                        assertEquals(0f, gamma[c], layer + "[" + c + "] has mask " + m[c]);
                        pruned++;
                        largestPruned = Math.max(largestPruned, m[c]);
                    } else {
                        assertEquals(gamma0[c], gamma[c], layer + "[" + c + "] has mask " + m[c]);
                        kept++;
                        smallestKept = Math.min(smallestKept, m[c]);
                    }
                }
            }
            assertTrue(pruned > 0 && kept > 0, "masks spread on both sides: " + masks);
            assertTrue(largestPruned <= smallestKept);
            assertEquals(pruned, result.details().get("prunedChannels"));
        }
    }

    @Test
    void threshold_keepsHeldOutAccuracy_whenNoDropIsAllowed() {
        try (Model model = TestModels.cnn(4, 8, 3)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    purify(model, AdversarialNeuronPruner.builder().learningRate(2.0).maxAccuracyDrop(0));
            Rate held = (Rate) result.details().get("heldOutAccuracyBefore");
            Rate pruned = (Rate) result.details().get("heldOutAccuracyAfter");
            assertEquals(12, held.total(), "20 % of 60 tuning images are held out");
            assertTrue(pruned.hits() >= held.hits(), pruned + " vs " + held);
            double threshold = (Double) result.details().get("threshold");
            if (Double.isNaN(threshold)) {
                assertTrue(Snapshots.changed(before, Snapshots.parameters(model)).isEmpty());
            }
        }
    }

    @Test
    void noiseAscentStep_raisesTheCrossEntropy() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager scope = model.getNDManager().newSubManager()) {
            BatchNormLayers layers = BatchNormLayers.capture(BatchNormLayers.find(model.getBlock()), scope);
            LayerMasks masks = LayerMasks.ones(layers, scope);
            SyntheticImages data = SyntheticImages.generate(32, 4, 8, 7);
            NDArray x = scope.create(data.pixels, new Shape(32, 3, 8, 8));
            NDArray y = scope.create(data.labels);
            Engine.getEngine("PyTorch").setRandomSeed(11);
            NeuronNoise noise = NeuronNoise.uniform(layers, 0.4, scope);
            noise.apply(layers, masks, scope);
            float before;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = BatchNormModels.trainingLoss(model, x, y, scope);
                before = loss.getFloat();
                collector.backward(loss);
            }
            noise.ascend(layers, scope);
            layers.zeroGradients();
            noise.apply(layers, masks, scope);
            float after = BatchNormModels.trainingLoss(model, x, y, scope).getFloat();
            assertTrue(after > before, "CE " + before + " -> " + after);
        }
    }

    @Test
    void purify_torchScript_learnsOnACopy_andPrunesTheModelsOwnScales() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                Model reference = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    purify(model, AdversarialNeuronPruner.builder().learningRate(2.0).maxAccuracyDrop(1.0));
            Map<String, float[]> after = Snapshots.parameters(model);
            double threshold = (Double) result.details().get("threshold");
            ChannelMasks masks = (ChannelMasks) result.details().get("masks");
            assertEquals(List.of("bn1", "bn2"), masks.layers());
            int pruned = 0;
            for (String layer : masks.layers()) {
                float[] m = masks.values(layer);
                float[] gamma0 = before.get(layer + ".weight");
                float[] gamma = after.get(layer + ".weight");
                for (int c = 0; c < m.length; c++) {
                    boolean prune = m[c] <= threshold;
                    assertEquals(prune ? 0f : gamma0[c], gamma[c], layer + "[" + c + "] has mask " + m[c]);
                    pruned += prune ? 1 : 0;
                }
            }
            assertTrue(pruned > 0, "something was pruned");
            assertEquals(pruned, result.details().get("prunedChannels"));
            for (String name : Snapshots.changed(before, after)) {
                assertTrue(name.endsWith("bn1.weight") || name.endsWith("bn2.weight"), name);
            }
            // the original model with the same scales zeroed: the running statistics never moved
            for (String layer : masks.layers()) {
                reference.getBlock().getParameters().get(layer + ".weight").getArray()
                        .set(new NDIndex("..."), scope.create(after.get(layer + ".weight")));
            }
            NDArray x = scope.create(SyntheticImages.generate(8, 4, 8, 9).pixels, new Shape(8, 3, 8, 8));
            assertArrayEquals(evalLogits(reference, x), evalLogits(model, x), 0f);
        }
    }

    @Test
    void purify_torchScript_pruningNothing_leavesTheModelExactlyAsItWas() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = NDManager.newBaseManager("PyTorch")) {
            NDArray x = scope.create(SyntheticImages.generate(8, 4, 8, 9).pixels, new Shape(8, 3, 8, 8));
            float[] outputs = evalLogits(model, x);
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    purify(model, AdversarialNeuronPruner.builder().maxAccuracyDrop(0).pruningMax(0));
            assertEquals(0, result.details().get("prunedChannels"));
            assertTrue(((ChannelMasks) result.details().get("masks")).min() < 1, "the masks were trained");
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
            assertArrayEquals(outputs, evalLogits(model, x), 0f,
                    "training-mode passes ran on the copy: running statistics as they were");
        }
    }

    private static float[] evalLogits(Model model, NDArray x) {
        try (NDManager scope = model.getNDManager().newSubManager()) {
            return model.getBlock().forward(new ParameterStore(scope, false),
                    new NDList(x), false).singletonOrThrow().toFloatArray();
        }
    }

    @Test
    void validate_refusesModelsWithoutBatchNorm_beforeAnythingChanges() {
        try (Model model = BatchNormModels.convNet(2, false, 4, 1)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class,
                            () -> purify(model, AdversarialNeuronPruner.builder()));
            assertTrue(e.getMessage().startsWith("ANP needs BatchNorm layers"), e.getMessage());
            assertTrue(Snapshots.changed(before, Snapshots.parameters(model)).isEmpty());
        }
    }

    @Test
    void builder_refusesOutOfRangeOptions_withPreciseMessages() {
        assertEquals("eps must be a finite number >= 0 but was -0.1",
                assertThrows(IllegalArgumentException.class,
                        () -> AdversarialNeuronPruner.builder().eps(-0.1)).getMessage());
        assertEquals("alpha must be in [0, 1] but was 1.5",
                assertThrows(IllegalArgumentException.class,
                        () -> AdversarialNeuronPruner.builder().alpha(1.5)).getMessage());
        assertEquals("pruningStep must be in (0, 1] but was 0.0",
                assertThrows(IllegalArgumentException.class,
                        () -> AdversarialNeuronPruner.builder().pruningStep(0)).getMessage());
        assertEquals("pruningMax must be in [0, 1] but was NaN",
                assertThrows(IllegalArgumentException.class,
                        () -> AdversarialNeuronPruner.builder().pruningMax(Double.NaN)).getMessage());
        assertEquals("maxAccuracyDrop must be in [0, 1] but was -1.0",
                assertThrows(IllegalArgumentException.class,
                        () -> AdversarialNeuronPruner.builder().maxAccuracyDrop(-1)).getMessage());
        assertEquals("heldOutFraction must be in [0, 0.5] but was 0.6",
                assertThrows(IllegalArgumentException.class,
                        () -> AdversarialNeuronPruner.builder().heldOutFraction(0.6)).getMessage());
        assertEquals("alpha was already set to 0.5",
                assertThrows(IllegalStateException.class,
                        () -> AdversarialNeuronPruner.builder().alpha(0.5).alpha(0.6)).getMessage());
    }

    @Test
    void configuration_listsTheMethodOptionsWithTheirDefaults() {
        Map<String, Object> configuration = AdversarialNeuronPruner.builder().build().configuration();
        assertEquals("ANP", configuration.get("method"));
        assertEquals(0.4, configuration.get("eps"));
        assertEquals(0.2, configuration.get("alpha"));
        assertEquals(0.05, configuration.get("pruningStep"));
        assertEquals(0.9, configuration.get("pruningMax"));
        assertEquals(0.1, configuration.get("maxAccuracyDrop"));
        assertEquals(0.2, configuration.get("heldOutFraction"));
        assertFalse(configuration.isEmpty());
    }
}
