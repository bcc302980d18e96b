package dev.fst;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import dev.fst.data.Augmentation;
import ai.djl.ndarray.NDManager;
import dev.fst.head.ClassifierHead;
import dev.fst.head.HeadLayer;
import dev.fst.head.HeadSelector;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.AccuracyCheck;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.TuningConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FST's stable defaults: the accuracy guard, automatic alpha chosen on held-out clean data, the
 * optional warm start, and the paper's exact algorithm one call away.
 */
class StablePurificationTest {

    private static final int CLASSES = 4;

    @Test
    void paperBuilder_isThePaperAlgorithm_andBuilderTheStableOne() {
        FeatureShiftTuner paper = FeatureShiftTuner.paperBuilder().build();
        assertEquals(0.2, paper.alpha());
        assertEquals(PenaltyScale.PAPER, paper.penaltyScale());
        assertEquals(0, paper.warmStartEpochs());
        assertEquals(0.0, paper.config().heldOutFraction(), "the paper tunes on every image");
        assertEquals(List.of(), paper.alphaCandidates());

        FeatureShiftTuner stable = FeatureShiftTuner.builder().build();
        assertTrue(Double.isNaN(stable.alpha()), "alpha is chosen automatically");
        assertEquals(List.of(16.0, 4.0, 1.0), stable.alphaCandidates());
        assertEquals(PenaltyScale.COSINE, stable.penaltyScale());
        assertEquals(0, stable.warmStartEpochs(), "the warm start is opt-in");
        assertEquals(TuningConfig.DEFAULT_HELD_OUT_FRACTION, stable.config().heldOutFraction());
        assertEquals(TuningConfig.DEFAULT_ACCURACY_BUDGET, stable.config().accuracyBudget());

        FeatureShiftTuner fixed = FeatureShiftTuner.builder().alpha(0.2).build();
        assertEquals(0.2, fixed.alpha());
        assertEquals(PenaltyScale.PAPER, fixed.penaltyScale(), "alpha(0.2) means exactly the paper's alpha 0.2");
        assertEquals(0.2, fixed.configuration().get("alpha"));
    }

    @Test
    void alphaOptions_areValidated_andAlphaContradictsAutoAlpha() {
        assertEquals("alpha contradicts autoAlpha [4.0, 1.0]; set one of them",
                assertThrows(IllegalStateException.class,
                        () -> FeatureShiftTuner.builder().autoAlpha(4, 1).alpha(0.2)).getMessage());
        assertEquals("autoAlpha contradicts alpha 0.2; set one of them",
                assertThrows(IllegalStateException.class,
                        () -> FeatureShiftTuner.builder().alpha(0.2).autoAlpha(4, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureShiftTuner.builder().autoAlpha());
        assertThrows(IllegalArgumentException.class, () -> FeatureShiftTuner.builder().autoAlpha(8, 4, 2, 1));
        assertEquals("autoAlpha values must be given largest first, each smaller than the one before, but got"
                        + " [1.0, 4.0]",
                assertThrows(IllegalArgumentException.class, () -> FeatureShiftTuner.builder().autoAlpha(1, 4))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureShiftTuner.builder().autoAlpha(-1));
        assertEquals("warmStartEpochs must be >= 0 but was -1", assertThrows(IllegalArgumentException.class,
                () -> FeatureShiftTuner.builder().warmStartEpochs(-1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureShiftTuner.builder().warmStartLearningRate(0));
        assertEquals("accuracyBudget must be in (0, 100] percentage points but was 0.0",
                assertThrows(IllegalArgumentException.class,
                        () -> FeatureShiftTuner.builder().accuracyBudget(0)).getMessage());
        assertEquals("heldOutFraction must be in [0, 0.5] but was 0.7",
                assertThrows(IllegalArgumentException.class,
                        () -> FeatureShiftTuner.builder().heldOutFraction(0.7)).getMessage());
    }

    @Test
    void guard_measuresTheHeldOutShareBeforeAndAfter_classBalanced() {
        try (Model model = TestModels.cnn(CLASSES, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            PurificationResult result = FeatureShiftTuner.builder().alpha(0.2).epochs(1).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(40, CLASSES, 8, 5).dataset(data));
            AccuracyCheck check = result.accuracyCheck();
            assertTrue(check.measured());
            assertEquals(8, check.images(), "0.2 of 10 images of each of 4 classes");
            assertEquals(32, result.samples() - check.images(), "the rest is tuned on");
            assertEquals(check.before().percent() - check.after().percent(), check.drop(), 1e-9);
            assertEquals(check.withinBudget(), result.withinBudget());
            assertTrue(result.toString().contains("held-out accuracy"), result.toString());
        }
    }

    @Test
    void guard_flagsARunThatDestroysAccuracy() {
        try (Model model = TestModels.cnn(CLASSES, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            SyntheticImages images = SyntheticImages.generate(160, CLASSES, 8, 5);
            // a well-trained model first, so that there is accuracy to lose
            FeatureShiftTuner.paperBuilder().alpha(0).projection(false).epochs(40).batchSize(32).learningRate(0.05)
                    .augmentation(Augmentation.none()).build().purify(model, images.dataset(data));
            PurificationResult destroyed = FeatureShiftTuner.builder().alpha(1000).epochs(2).batchSize(32)
                    .accuracyBudget(1).build().purify(model, images.dataset(data));
            AccuracyCheck check = destroyed.accuracyCheck();
            assertTrue(check.before().percent() >= 80, "the trained model classifies: " + check);
            assertTrue(check.drop() > 1, check.toString());
            assertFalse(destroyed.withinBudget(), check.toString());
            assertTrue(check.toString().contains("EXCEEDED"), check.toString());
        }
    }

    @Test
    void guard_withNothingHeldOut_measuresNothing_andPasses() {
        try (Model model = TestModels.cnn(CLASSES, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            PurificationResult result = FeatureShiftTuner.paperBuilder().epochs(1).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(32, CLASSES, 8, 5).dataset(data));
            assertFalse(result.accuracyCheck().measured());
            assertTrue(result.withinBudget());
            assertEquals(32, result.samples());
        }
    }

    @Test
    void autoAlpha_withinBudget_keepsTheFirstValue_andEqualsAFixedRunOfIt() {
        SyntheticImages images = SyntheticImages.generate(64, CLASSES, 8, 7);
        Map<String, float[]> auto;
        PurificationResult result;
        try (Model model = TestModels.cnn(CLASSES, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            result = FeatureShiftTuner.builder().autoAlpha(4, 1).accuracyBudget(100).epochs(2).batchSize(16)
                    .build().purify(model, images.dataset(data));
            auto = Snapshots.parameters(model);
        }
        AlphaSearch search = (AlphaSearch) result.details().get("alphaSearch");
        assertEquals(1, search.trials().size(), "the first value stayed within the budget: one run");
        assertEquals(4.0, search.chosen());
        assertTrue(search.withinBudget());
        try (Model model = TestModels.cnn(CLASSES, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            FeatureShiftTuner.builder().alpha(4).penaltyScale(PenaltyScale.COSINE).epochs(2).batchSize(16).build()
                    .purify(model, images.dataset(data));
            Map<String, float[]> fixed = Snapshots.parameters(model);
            for (String key : fixed.keySet()) {
                // equal up to the float noise of multi-threaded kernels; another alpha moves weights far more
                assertArrayEquals(fixed.get(key), auto.get(key), 1e-4f, key);
            }
        }
    }

    /** A model trained on the images, so that purification has accuracy to lose. */
    private static Model trained(SyntheticImages images, NDManager data) {
        Model model = TestModels.cnn(CLASSES, 8, 3);
        FeatureShiftTuner.paperBuilder().alpha(0).projection(false).epochs(40).batchSize(32).learningRate(0.05)
                .augmentation(Augmentation.none()).build().purify(model, images.dataset(data));
        return model;
    }

    @Test
    void autoAlpha_overBudgetEverywhere_triesEveryValue_keepsTheGentlestRun_andFlagsIt() {
        SyntheticImages images = SyntheticImages.generate(160, CLASSES, 8, 5);
        Map<String, float[]> auto;
        PurificationResult result;
        try (NDManager data = NDManager.newBaseManager("PyTorch"); Model model = trained(images, data)) {
            // penalties far beyond any useful strength, at a large rate: every run loses accuracy
            result = FeatureShiftTuner.builder().autoAlpha(300, 30, 3).accuracyBudget(0.1).epochs(2).batchSize(32)
                    .learningRate(0.05).build().purify(model, images.dataset(data));
            auto = Snapshots.parameters(model);
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(head.names(), result.headLayers());
            HeadLayer last = result.head().layers().get(0);
            assertArrayEquals(head.layers().get(0).weight().getArray().toFloatArray(),
                    last.weight().getArray().toFloatArray(), "the result's head is the model's live head");
        }
        AlphaSearch search = (AlphaSearch) result.details().get("alphaSearch");
        assertFalse(search.withinBudget(), search.toString());
        assertFalse(result.withinBudget());
        assertEquals(3, search.trials().size(), search.toString());
        AlphaSearch.Trial gentlest = search.trials().stream()
                .min(java.util.Comparator.comparingDouble(t -> t.check().drop())).orElseThrow();
        assertEquals(gentlest.alpha(), search.chosen(), "the run that lost the least is kept: " + search);
        assertEquals(3.0, search.chosen(), "here the gentlest, not the strongest: " + search);
        assertEquals(gentlest.check().drop(), result.accuracyCheck().drop(), 1e-12);
        try (NDManager data = NDManager.newBaseManager("PyTorch"); Model model = trained(images, data)) {
            FeatureShiftTuner.builder().alpha(search.chosen()).penaltyScale(PenaltyScale.COSINE).epochs(2)
                    .batchSize(32).learningRate(0.05).build().purify(model, images.dataset(data));
            Map<String, float[]> fixed = Snapshots.parameters(model);
            for (String key : fixed.keySet()) {
                assertArrayEquals(fixed.get(key), auto.get(key), 1e-4f, "the kept run's weights are restored: " + key);
            }
        }
    }

    @Test
    void warmStart_movesOnlyTheHead_beforeTheTuningMovesEverything() {
        try (Model model = TestModels.cnn(CLASSES, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            // a tuning rate too small to move anything visibly: what moves, the warm start moved
            PurificationResult result = FeatureShiftTuner.builder().alpha(0).warmStartEpochs(3).epochs(1)
                    .learningRate(1e-30).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(48, CLASSES, 8, 3).dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);
            // 1e-30 times a gradient moves a parameter only where it is exactly 0 (BatchNorm's beta)
            List<String> changed = Snapshots.changed(before, after).stream()
                    .filter(n -> maxDifference(before.get(n), after.get(n)) > 1e-20).toList();
            for (String name : changed) {
                boolean inHead = head.layers().stream().anyMatch(l -> name.startsWith(l.name()));
                boolean runningStatistic = name.contains("running");
                assertTrue(inHead || runningStatistic, name + " moved outside the head");
            }
            assertTrue(changed.stream().anyMatch(n -> n.endsWith("weight") && !n.contains("running")), changed.toString());
            assertTrue(result.details().get("warmStart").toString().startsWith("3 epochs, head only"));
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
