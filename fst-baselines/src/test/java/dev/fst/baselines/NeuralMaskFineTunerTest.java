package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.fst.tuning.PurificationResult;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NeuralMaskFineTunerTest {

    private static PurificationResult purify(Model model, NeuralMaskFineTuner.Builder builder) {
        try (NDManager data = NDManager.newBaseManager("PyTorch")) {
            return builder.epochs(3).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
        }
    }

    @Test
    void purify_keepsMasksWithinTheirBounds_andChangesNoOtherWeight() {
        try (Model model = BatchNormModels.convNet(4, true, 4, 2)) {
            List<String> trainable = BatchNormModels.trainableNames(model);
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result = purify(model, NeuralMaskFineTuner.builder().learningRate(2.0));
            Map<String, float[]> after = Snapshots.parameters(model);
            ChannelMasks masks = (ChannelMasks) result.details().get("masks");
            List<String> layers = masks.layers();
            assertEquals(List.of("05BatchNorm", "08BatchNorm", "11BatchNorm"), layers,
                    "every BatchNorm but the first (02BatchNorm) is masked, in forward order");
            assertEquals(3, result.details().get("maskedLayers"));
            List<String> maskedScales = new ArrayList<>();
            layers.forEach(layer -> maskedScales.add(layer + "_gamma"));
            for (String name : trainable) {
                if (!maskedScales.contains(name)) {
                    assertTrue(java.util.Arrays.equals(before.get(name), after.get(name)),
                            name + " must not change");
                }
            }
            assertTrue(trainable.contains("02BatchNorm_gamma"), "the unmasked first scale was compared");
            int moved = 0;
            for (int k = 1; k <= layers.size(); k++) {
                String layer = layers.get(k - 1);
                float lower = (float) (0.8 * Math.exp(-0.5 * k));
                float[] m = masks.values(layer);
                float[] gamma0 = before.get(layer + "_gamma");
                float[] gamma = after.get(layer + "_gamma");
                for (int c = 0; c < m.length; c++) {
                    assertTrue(m[c] >= lower && m[c] <= 1, layer + "[" + c + "] = " + m[c] + " < " + lower);
                    assertEquals(gamma0[c] * m[c], gamma[c], 1e-6f, "gamma = gamma0 * m");
                    moved += m[c] < 0.999f ? 1 : 0;
                }
            }
            assertTrue(moved > 0, "some masks moved away from 1: " + masks);
        }
    }

    @Test
    void validate_refusesModelsWithoutASecondBatchNorm_beforeAnythingChanges() {
        for (Model model : List.of(BatchNormModels.convNet(2, false, 4, 1),
                BatchNormModels.convNet(1, true, 4, 1))) {
            try (model) {
                Map<String, float[]> before = Snapshots.parameters(model);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> purify(model, NeuralMaskFineTuner.builder()));
                assertTrue(e.getMessage().startsWith("NFT needs BatchNorm layers to mask"), e.getMessage());
                assertTrue(Snapshots.changed(before, Snapshots.parameters(model)).isEmpty());
            }
        }
    }

    @Test
    void builder_refusesOutOfRangeOptions_withPreciseMessages() {
        assertEquals("regularization must be a finite number >= 0 but was -1.0",
                assertThrows(IllegalArgumentException.class,
                        () -> NeuralMaskFineTuner.builder().regularization(-1)).getMessage());
        assertEquals("lowerBoundScale must be in [0, 1] but was 1.2",
                assertThrows(IllegalArgumentException.class,
                        () -> NeuralMaskFineTuner.builder().lowerBoundScale(1.2)).getMessage());
        assertEquals("lowerBoundDecay must be a finite number >= 0 but was Infinity",
                assertThrows(IllegalArgumentException.class,
                        () -> NeuralMaskFineTuner.builder().lowerBoundDecay(Double.POSITIVE_INFINITY))
                        .getMessage());
        assertEquals("minLearningRate must be a finite number >= 0 but was -0.5",
                assertThrows(IllegalArgumentException.class,
                        () -> NeuralMaskFineTuner.builder().minLearningRate(-0.5)).getMessage());
        assertEquals("minLearningRate (0.1) must be <= learningRate (0.05)",
                assertThrows(IllegalArgumentException.class,
                        () -> NeuralMaskFineTuner.builder().minLearningRate(0.1).build()).getMessage());
        assertEquals("momentum must be in [0, 1) but was 1.0",
                assertThrows(IllegalArgumentException.class,
                        () -> NeuralMaskFineTuner.builder().momentum(1)).getMessage());
        assertEquals("regularization was already set to 0.1",
                assertThrows(IllegalStateException.class,
                        () -> NeuralMaskFineTuner.builder().regularization(0.1).regularization(0.2))
                        .getMessage());
    }

    @Test
    void configuration_showsTheReferenceDefaults() {
        Map<String, Object> configuration = NeuralMaskFineTuner.builder().build().configuration();
        assertEquals("NFT", configuration.get("method"));
        assertEquals(0.001, configuration.get("regularization"));
        assertEquals(0.02, configuration.get("minLearningRate"));
        assertEquals(0.8, configuration.get("lowerBoundScale"));
        assertEquals(0.5, configuration.get("lowerBoundDecay"));
        assertEquals(0.05, configuration.get("learningRate"));
        assertEquals(0.95, configuration.get("momentum"));
        assertEquals(20, configuration.get("epochs"));
        assertEquals(0.01, NeuralMaskFineTuner.builder().learningRate(0.01).build()
                .configuration().get("minLearningRate"), "the floor never exceeds the rate");
        assertEquals(0.5, NeuralMaskFineTuner.builder().momentum(0.5).build().configuration().get("momentum"));
    }
}
