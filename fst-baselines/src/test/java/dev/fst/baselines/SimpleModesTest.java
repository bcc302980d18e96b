package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Pair;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.Purifier;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What makes LP, FE-tuning and FT-init those methods. */
class SimpleModesTest {

    private static final String HEAD_W = "02Linear_weight";
    private static final String HEAD_B = "02Linear_bias";

    @Test
    void linearProbe_changesOnlyHeadParameters() {
        Set<String> changed = trainableChanged(LinearProbe.builder().epochs(2).batchSize(16).learningRate(0.05)
                .build(), TestModels.vgg(4, 8, 3));
        Set<String> head = Set.of("02SequentialBlock_01Linear_weight", "02SequentialBlock_01Linear_bias",
                "02SequentialBlock_04Linear_weight", "02SequentialBlock_04Linear_bias",
                "02SequentialBlock_07Linear_weight", "02SequentialBlock_07Linear_bias");
        assertEquals(head, changed, "LP trains exactly the three head layers of the VGG-style head");
    }

    @Test
    void feTuning_neverChangesTheHeadAfterReinitialisation() {
        Map<String, float[]> oneEpoch = afterRun(FeatureExtractorTuner.builder().epochs(1).batchSize(16)
                .learningRate(0.05).seed(4).build());
        Map<String, float[]> threeEpochs = afterRun(FeatureExtractorTuner.builder().epochs(3).batchSize(16)
                .learningRate(0.05).seed(4).build());
        Map<String, float[]> original = original();
        assertFalse(java.util.Arrays.equals(original.get(HEAD_W), oneEpoch.get(HEAD_W)), "head re-initialised");
        assertArrayEquals(oneEpoch.get(HEAD_W), threeEpochs.get(HEAD_W), "head frozen after re-init");
        assertArrayEquals(oneEpoch.get(HEAD_B), threeEpochs.get(HEAD_B), "head bias frozen after re-init");
        assertEquals(norm(original.get(HEAD_W)), norm(threeEpochs.get(HEAD_W)), 1e-4,
                "the frozen random head is projected to the original norm");
        Set<String> featuresChanged = new HashSet<>(Snapshots.changed(oneEpoch, threeEpochs));
        assertTrue(featuresChanged.contains("01SequentialBlock_01Conv2d_weight"), "features keep training");
    }

    @Test
    void ftInit_reinitialisesTheHeadAndTrainsEverything() {
        Map<String, float[]> original = original();
        Map<String, float[]> after = afterRun(FtInitTuner.builder().epochs(1).batchSize(64)
                .learningRate(1e-5).projection(false).build());
        // one tiny step cannot explain the head's distance from W0: it was re-drawn
        double moved = maxDiff(original.get(HEAD_W), after.get(HEAD_W));
        assertTrue(moved > 0.01, "head re-initialised, moved " + moved);
        double featureMove = maxDiff(original.get("01SequentialBlock_01Conv2d_weight"),
                after.get("01SequentialBlock_01Conv2d_weight"));
        assertTrue(featureMove > 0 && featureMove < 1e-3, "features trained by a small step: " + featureMove);
    }

    @Test
    void ftInit_andFeTuning_drawTheSameHeadFromTheSameSeed() {
        Map<String, float[]> a = afterRun(FtInitTuner.builder().epochs(1).batchSize(64).learningRate(1e-9)
                .projection(false).seed(9).build());
        Map<String, float[]> b = afterRun(FeatureExtractorTuner.builder().epochs(1).batchSize(64)
                .learningRate(1e-9).projection(false).seed(9).build());
        assertTrue(maxDiff(a.get(HEAD_W), b.get(HEAD_W)) < 1e-6, "same initializer and seed");
    }

    private static Set<String> trainableChanged(Purifier tuner, Model model) {
        try (model; NDManager data = NDManager.newBaseManager("PyTorch")) {
            Set<String> trainable = model.getBlock().getParameters().stream()
                    .filter(p -> p.getValue().requiresGradient()).map(Pair::getKey).collect(Collectors.toSet());
            Map<String, float[]> before = Snapshots.parameters(model);
            tuner.purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            List<String> changed = Snapshots.changed(before, Snapshots.parameters(model));
            return changed.stream().filter(trainable::contains).collect(Collectors.toSet());
        }
    }

    private static Map<String, float[]> original() {
        try (Model model = TestModels.cnn(4, 8, 3)) {
            return Snapshots.parameters(model);
        }
    }

    private static Map<String, float[]> afterRun(Purifier tuner) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            tuner.purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            return Snapshots.parameters(model);
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

}
