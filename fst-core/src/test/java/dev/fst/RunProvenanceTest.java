package dev.fst;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.fst.head.HeadInitializer;
import dev.fst.head.HeadLayer;
import dev.fst.optim.LearningRateSchedule;
import dev.fst.optim.TuningLoss;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.ModelTraining;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.RunConfiguration;
import dev.fst.tuning.TrainingResult;
import dev.fst.tuning.TuningConfig;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What a result records about its run: typed configuration, the data's identity, the initializer. */
class RunProvenanceTest {

    @Test
    void result_recordsTheConfigurationTyped_andTheRunsOwnLoss() {
        PurificationResult result = purify(FeatureShiftTuner.paperBuilder().epochs(1).batchSize(16).seed(7).build(), 5);
        RunConfiguration configuration = result.configuration();
        assertEquals(7L, result.seed());
        assertEquals(7L, configuration.seed());
        assertEquals(1, configuration.epochs());
        assertEquals(0.2, configuration.option("alpha", Double.class));
        assertEquals("FST", configuration.method());
        assertEquals(LearningRateSchedule.cosine(), configuration.shared().schedule());
        assertEquals("cross-entropy + 0.2 * <W, W0>", configuration.shared().loss().toString(),
                "the run's loss is FST's: cross-entropy plus the penalty");
        assertEquals("cross-entropy + 0.2 * <W, W0>", configuration.asMap().get("loss"));
        IllegalArgumentException wrongType =
                assertThrows(IllegalArgumentException.class, () -> configuration.option("alpha", String.class));
        assertEquals("option alpha of FST is Double 0.2, not String", wrongType.getMessage());
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> configuration.option("rho", Double.class));
        assertTrue(missing.getMessage().startsWith("FST has no option rho; its options are [alpha,"),
                missing.getMessage());
    }

    @Test
    void result_identifiesTheTuningData_byCountShapeHistogramAndContent() {
        PurificationResult a = purify(FeatureShiftTuner.paperBuilder().epochs(1).batchSize(16).build(), 5);
        PurificationResult b = purify(FeatureShiftTuner.paperBuilder().epochs(1).batchSize(16).build(), 5);
        PurificationResult other = purify(FeatureShiftTuner.paperBuilder().epochs(1).batchSize(16).build(), 6);
        assertEquals(64, a.data().count());
        assertEquals("(3, 8, 8)", a.data().imageShape());
        assertEquals(List.of(16, 16, 16, 16), a.data().classHistogram());
        assertTrue(a.data().contentHash().matches("[0-9a-f]{64}"), a.data().contentHash());
        assertEquals(a.data(), b.data(), "the same images give the same identity");
        assertNotEquals(a.data().contentHash(), other.data().contentHash(), "other pixels, another hash");
        assertEquals(a.data().classHistogram(), other.data().classHistogram());
    }

    @Test
    void customHeadInitializer_isRecordedByItsClassName() {
        HeadInitializer lambda = (layer, random) -> HeadInitializer.fillUniform(layer.weight(), 0.1f, random);
        assertEquals("lambda in " + RunProvenanceTest.class.getName(),
                FeatureShiftTuner.builder().headInitializer(lambda).build().configuration().get("headInitializer"));
        assertEquals(Zeros.class.getName(),
                FeatureShiftTuner.builder().headInitializer(new Zeros()).build().configuration().get("headInitializer"));
        assertEquals("uniform(+-1/sqrt(fan_in))", FeatureShiftTuner.builder().build().configuration().get("headInitializer"));
    }

    @Test
    void modelTraining_returnsATrainingResult_andRefusesAHeldOutShare() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            TuningConfig config = TuningConfig.paperDefaults().withEpochs(2).withBatchSize(16).withHeldOutFraction(0);
            TrainingResult result = ModelTraining.train(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data), config);
            assertEquals(2, result.epochs().size());
            assertEquals(64, result.data().count(), "training holds nothing out");
            assertEquals(config, result.config());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelTraining.train(model,
                    SyntheticImages.generate(64, 4, 8, 5).dataset(data), TuningConfig.paperDefaults()));
            assertEquals("training uses every image: heldOutFraction must be 0 but was 0.2", e.getMessage());
        }
    }

    @Test
    void crossEntropy_isTheDefaultLoss() {
        assertEquals(TuningLoss.crossEntropy(), TuningConfig.paperDefaults().loss());
    }

    private static PurificationResult purify(FeatureShiftTuner tuner, long dataSeed) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            return tuner.purify(model, SyntheticImages.generate(64, 4, 8, dataSeed).dataset(data));
        }
    }

    /** A named initializer of test's own. */
    static final class Zeros implements HeadInitializer {
        @Override
        public void initialize(HeadLayer layer, Random random) {
            HeadInitializer.fillUniform(layer.weight(), 0f, random);
        }
    }
}
