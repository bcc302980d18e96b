package dev.fst.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.util.PairList;
import dev.fst.data.Augmentation;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.ModelTraining;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The retuning attack: it fine-tunes a copy of the model's state on poisoned data, measures, and
 * always leaves the model exactly as it was.
 */
class RetuningAttackTest {

    private static final int TARGET = 0;
    private static final RetuningAttack QUICK =
            RetuningAttack.builder().samples(4).epochs(2).batchSize(16).learningRate(0.05).build();

    /** The data of one attack on 8x8 images of 4 classes. */
    private record Data(RandomAccessDataset tuning, RandomAccessDataset triggered, RandomAccessDataset clean,
            RandomAccessDataset triggeredTest) {
        static Data of(NDManager manager, int size) {
            return new Data(
                    SyntheticImages.generate(48, 4, size, 5).dataset(manager),
                    SyntheticImages.generate(16, 4, size, 6).triggered().dataset(manager),
                    SyntheticImages.generate(32, 4, size, 7).dataset(manager),
                    SyntheticImages.generate(32, 4, size, 7).triggered().dataset(manager));
        }
    }

    private static RetuningResult attack(RetuningAttack attack, Model model, Data data) {
        return attack.evaluate(model, data.tuning(), data.triggered(), TARGET, data.clean(), data.triggeredTest());
    }

    @Test
    void evaluate_leavesTheModelBitIdentical_parametersAndRunningStatistics() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            Data data = Data.of(m, 8);
            Map<String, float[]> before = Snapshots.parameters(model);
            int arrays = arrays(model);
            Block block = model.getBlock();
            RetuningResult result = attack(QUICK, model, data);
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)),
                    "every parameter and BatchNorm statistic put back");
            assertTrue(before.keySet().stream().anyMatch(k -> k.contains("running")), "statistics compared");
            assertSame(block, model.getBlock(), "a DJL block is restored in place");
            assertEquals(arrays, arrays(model), "nothing left behind in the model's manager");
            assertEquals(2, result.epochLosses().size());
            assertEquals(4, result.replaced().size());
            assertEquals(48, result.settings().get("tuningImages"));
        }
    }

    @Test
    void evaluate_changesTheModelWhileItRuns() {
        // the same attack through a block that records the weights it trains shows it did move them
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            Recording recording = new Recording(model.getBlock(), model);
            model.setBlock(recording);
            Map<String, float[]> before = Snapshots.parameters(model);
            attack(QUICK, model, Data.of(m, 8));
            assertTrue(!Snapshots.changed(before, recording.atFirstEvaluation).isEmpty(), "the attack trained");
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void evaluate_torchScript_restoresParametersAndEvalOutputs() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(SyntheticImages.generate(8, 4, 8, 11).pixels, new Shape(8, 3, 8, 8));
            float[] outputs = eval(model, x);
            Map<String, float[]> before = Snapshots.parameters(model);
            Block block = model.getBlock();
            RetuningResult result = attack(QUICK, model, Data.of(m, 8));
            assertNotSame(block, model.getBlock(), "a TorchScript module is restored by swapping in its copy");
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
            assertArrayEquals(outputs, eval(model, x), 0f, "running statistics restored too");
            assertTrue(result.pAsr().total() > 0);
            // the restored module still trains and evaluates
            assertEquals(result.cleanAccuracy(), attack(QUICK, model, Data.of(m, 8)).cleanAccuracy(), "deterministic");
        }
    }

    @Test
    void evaluate_fewPoisonedSamples_bringTheBackdoorIntoACleanModel() {
        try (Model model = TestModels.cnn(4, 12, 21); NDManager m = NDManager.newBaseManager("PyTorch")) {
            TuningConfig training = new Training().epochs(6).learningRate(0.05).batchSize(32)
                    .augmentation(Augmentation.none()).seed(3).build();
            ModelTraining.train(model, SyntheticImages.generate(400, 4, 12, 1).dataset(m), training);
            RandomAccessDataset clean = SyntheticImages.generate(200, 4, 12, 99).dataset(m);
            RandomAccessDataset triggeredTest = SyntheticImages.generate(200, 4, 12, 99).triggered().dataset(m);
            Rate accuracy = Evaluator.accuracy(model, clean);
            Rate asr = Evaluator.attackSuccessRate(model, triggeredTest, TARGET);
            assertTrue(accuracy.value() > 0.8, "the model learned the task: " + accuracy);
            assertTrue(asr.value() < 0.2, "and has no backdoor: ASR " + asr);

            RandomAccessDataset tuning = SyntheticImages.generate(200, 4, 12, 7).dataset(m);
            RandomAccessDataset attacker = SyntheticImages.generate(40, 4, 12, 13).triggered().dataset(m);
            RetuningResult poisoned = retuning(20).evaluate(model, tuning, attacker, TARGET, clean, triggeredTest);
            RetuningResult control = retuning(0).evaluate(model, tuning, attacker, TARGET, clean, triggeredTest);
            System.out.printf("ASR %s, P-ASR %s (clean retuning %s), accuracy %s -> %s%n",
                    asr, poisoned.pAsr(), control.pAsr(), accuracy, poisoned.cleanAccuracy());
            assertTrue(poisoned.pAsr().value() > asr.value() + 0.5, "P-ASR " + poisoned.pAsr() + " vs ASR " + asr);
            assertTrue(control.pAsr().value() < 0.2, "clean retuning plants nothing: " + control.pAsr());
            assertTrue(poisoned.cleanAccuracy().value() > 0.7, "the task survives: " + poisoned.cleanAccuracy());
            assertEquals(asr, Evaluator.attackSuccessRate(model, triggeredTest, TARGET), "model unchanged");
        }
    }

    private static RetuningAttack retuning(int samples) {
        return RetuningAttack.builder().samples(samples).epochs(6).batchSize(16).learningRate(0.05).build();
    }

    @Test
    void evaluate_replacesTheFirstSamplesOfASeededPermutation() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            Data data = Data.of(m, 8);
            RetuningResult a = attack(QUICK, model, data);
            RetuningResult b = attack(QUICK, model, data);
            RetuningResult other = attack(RetuningAttack.builder().samples(4).epochs(2).batchSize(16).learningRate(0.05)
                    .seed(1).build(), model, data);
            assertEquals(a, b, "same seed, same attack, same measurements");
            assertTrue(!a.replaced().equals(other.replaced()), a.replaced() + " vs " + other.replaced());
            assertEquals(4, a.replaced().stream().distinct().count());
        }
    }

    @Test
    void failureWhileTraining_restoresTheModel() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            model.setBlock(new Failing(model.getBlock(), true, 3));
            Map<String, float[]> before = Snapshots.parameters(model);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> attack(QUICK, model, Data.of(m, 8)));
            assertEquals("injected failure", e.getMessage());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void failureWhileMeasuring_restoresTheModel() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            // inference pass 1 checks the images before anything changes; pass 2 measures P-ASR
            model.setBlock(new Failing(model.getBlock(), false, 2));
            Map<String, float[]> before = Snapshots.parameters(model);
            assertThrows(IllegalStateException.class, () -> attack(QUICK, model, Data.of(m, 8)));
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void nonFiniteLoss_stopsTheAttackAndRestoresTheModel() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            SyntheticImages attacker = SyntheticImages.generate(16, 4, 8, 6).triggered();
            java.util.Arrays.fill(attacker.pixels, 1 * 3 * 64, 2 * 3 * 64, Float.NaN); // image 1, class 1
            Data data = Data.of(m, 8);
            Map<String, float[]> before = Snapshots.parameters(model);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> QUICK.evaluate(model,
                    data.tuning(), attacker.dataset(m), TARGET, data.clean(), data.triggeredTest()));
            assertTrue(e.getMessage().startsWith("the retuning loss is NaN in epoch 1, batch "), e.getMessage());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void evaluate_refusesBadData_beforeAnythingChanges() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager m = NDManager.newBaseManager("PyTorch")) {
            Data data = Data.of(m, 8);
            Map<String, float[]> before = Snapshots.parameters(model);
            assertEquals("target 4 is outside the model's 4 classes [0, 4)", refused(() -> QUICK.evaluate(model,
                    data.tuning(), data.triggered(), 4, data.clean(), data.triggeredTest())));
            assertEquals("target must be >= 0 but was -1", refused(() -> QUICK.evaluate(model,
                    data.tuning(), data.triggered(), -1, data.clean(), data.triggeredTest())));
            assertEquals("samples (49) must not exceed the 48 images of tuningData", refused(() ->
                    RetuningAttack.builder().samples(49).build().evaluate(model, data.tuning(), data.triggered(),
                            TARGET, data.clean(), data.triggeredTest())));
            // 16 triggered images of 4 classes: 12 are not of the target class
            assertEquals("triggeredImages holds 12 images whose true class is not the target 0, but samples is 13",
                    refused(() -> RetuningAttack.builder().samples(13).build().evaluate(model, data.tuning(),
                            data.triggered(), TARGET, data.clean(), data.triggeredTest())));
            assertEquals("images of triggeredTest have shape (3, 12, 12) but the tuning images have shape (3, 8, 8)",
                    refused(() -> QUICK.evaluate(model, data.tuning(), data.triggered(), TARGET, data.clean(),
                            SyntheticImages.generate(8, 4, 12, 1).dataset(m))));
            assertEquals("cleanTest must not be null", refused(() -> QUICK.evaluate(model, data.tuning(),
                    data.triggered(), TARGET, null, data.triggeredTest())));
            SyntheticImages onlyTarget = SyntheticImages.generate(4, 1, 8, 1).triggered();
            assertEquals("triggeredTest holds no image whose true class is not the target 0, so P-ASR would"
                    + " measure nothing", refused(() -> QUICK.evaluate(model, data.tuning(), data.triggered(),
                            TARGET, data.clean(), onlyTarget.dataset(m))));
            SyntheticImages badLabel = SyntheticImages.generate(8, 4, 8, 1);
            badLabel.labels[3] = 7;
            assertEquals("label 7 of image 3 of cleanTest is outside the model's 4 classes [0, 4)", refused(() ->
                    QUICK.evaluate(model, data.tuning(), data.triggered(), TARGET, badLabel.dataset(m),
                            data.triggeredTest())));
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void builder_validatesEveryOptionAtOnce_andRefusesASecondCall() {
        assertEquals("samples must be >= 0 but was -1", refused(() -> RetuningAttack.builder().samples(-1)));
        assertEquals("learningRate must be a finite number > 0 but was 0.0",
                refused(() -> RetuningAttack.builder().learningRate(0)));
        assertEquals("learningRate must be a finite number > 0 but was NaN",
                refused(() -> RetuningAttack.builder().learningRate(Double.NaN)));
        assertEquals("momentum must be in [0, 1) but was 1.0", refused(() -> RetuningAttack.builder().momentum(1)));
        assertEquals("epochs must be >= 1 but was 0", refused(() -> RetuningAttack.builder().epochs(0)));
        assertEquals("batchSize must be >= 1 but was 0", refused(() -> RetuningAttack.builder().batchSize(0)));
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> RetuningAttack.builder().samples(3).samples(4));
        assertEquals("samples was already set to 3", twice.getMessage());
        assertThrows(IllegalStateException.class, () -> RetuningAttack.builder().seed(1).seed(1));
        assertThrows(IllegalStateException.class,
                () -> RetuningAttack.builder().augmentation(Augmentation.none()).augmentation(Augmentation.none()));
        assertThrows(NullPointerException.class, () -> RetuningAttack.builder().augmentation(null));
    }

    @Test
    void defaults_areTheIssuesSettings_andShowInToString() {
        RetuningAttack attack = RetuningAttack.builder().build();
        assertEquals(5, attack.samples());
        assertEquals(0.01, attack.learningRate());
        assertEquals(0.9, attack.momentum());
        assertEquals(5, attack.epochs());
        assertEquals(128, attack.batchSize());
        assertEquals(0, attack.seed());
        assertTrue(attack.augmentation().isIdentity());
        assertEquals("RetuningAttack{samples=5, learningRate=0.01, schedule=constant, momentum=0.9, epochs=5,"
                + " batchSize=128, seed=0, augmentation=" + Augmentation.none() + "}", attack.toString());
    }

    private static String refused(Runnable call) {
        return assertThrows(IllegalArgumentException.class, call::run).getMessage();
    }

    private static float[] eval(Model model, NDArray x) {
        try (NDManager scope = model.getNDManager().newSubManager()) {
            return model.getBlock().forward(new ParameterStore(scope, false), new NDList(x), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    private static int arrays(Model model) {
        return ((BaseNDManager) model.getNDManager()).getManagedArrays().size();
    }

    /** Plain training: the shared options with nothing added. */
    private static final class Training extends TunerBuilder<Training> {
        Training() {
            super(TuningConfig.paperDefaults().withHeldOutFraction(0));
        }

        @Override
        protected Training self() {
            return this;
        }

        TuningConfig build() {
            return config();
        }
    }

    /** Passes through to a block, and throws on the given call of the given mode. */
    private static class Failing extends AbstractBlock {
        private final Block inner;
        private final boolean training;
        private final int failAt;
        private int calls;

        Failing(Block inner, boolean training, int failAt) {
            this.inner = addChildBlock("inner", inner);
            beforeInitialize(inner.getInputShapes()); // the inner block is initialised, so is this one
            this.training = training;
            this.failAt = failAt;
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            if (training == this.training && ++calls == failAt) {
                throw new IllegalStateException("injected failure");
            }
            return inner.forward(store, inputs, training, params);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inner.getOutputShapes(inputShapes);
        }
    }

    /** Passes through to a block, and copies the model's weights at the first inference pass after training. */
    private static final class Recording extends Failing {
        private final Model model;
        private boolean trained;
        private Map<String, float[]> atFirstEvaluation;

        Recording(Block inner, Model model) {
            super(inner, true, Integer.MAX_VALUE);
            this.model = model;
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            if (training) {
                trained = true;
            } else if (trained && atFirstEvaluation == null) {
                atFirstEvaluation = Snapshots.parameters(model);
            }
            return super.forwardInternal(store, inputs, training, params);
        }
    }
}
