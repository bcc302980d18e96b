package dev.fst;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.fst.data.Augmentation;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.ModelTraining;
import org.junit.jupiter.api.Test;

/**
 * End to end: a small CNN trained on data with a planted patch trigger has a high attack success
 * rate; FST on a small clean set removes the backdoor and keeps clean accuracy.
 */
class BackdoorPurificationTest {

    private static final int TARGET = 0;

    @Test
    void purify_patchBackdoor_dropsAttackSuccessRateAndKeepsAccuracy() {
        try (Model model = TestModels.cnn(4, 12, 21); NDManager data = NDManager.newBaseManager("PyTorch")) {
            SyntheticImages train = SyntheticImages.generate(1200, 4, 12, 1).poison(10, TARGET);
            TuningConfig training =
                    new TrainingConfig().epochs(12).learningRate(0.05).batchSize(64).augmentation(Augmentation.none()).seed(3).build();
            ModelTraining.train(model, train.dataset(data), training);

            SyntheticImages test = SyntheticImages.generate(400, 4, 12, 99);
            Rate cleanBefore = Evaluator.accuracy(model, test.dataset(data));
            Rate asrBefore = Evaluator.attackSuccessRate(model, test.triggered().dataset(data), TARGET);
            assertTrue(asrBefore.value() > 0.9, "backdoor planted: ASR " + asrBefore);
            assertTrue(cleanBefore.value() > 0.8, "model learned the task: " + cleanBefore);

            SyntheticImages clean = SyntheticImages.generate(400, 4, 12, 7);
            // no flips: these classes are defined by the quadrant of the blob
            FeatureShiftTuner.builder().alpha(0.2).epochs(10).learningRate(0.03).batchSize(32).augmentation(Augmentation.none()).build()
                    .purify(model, clean.dataset(data));

            Rate cleanAfter = Evaluator.accuracy(model, test.dataset(data));
            Rate asrAfter = Evaluator.attackSuccessRate(model, test.triggered().dataset(data), TARGET);
            System.out.printf("clean %s -> %s, ASR %s -> %s%n", cleanBefore, cleanAfter, asrBefore, asrAfter);
            assertTrue(asrAfter.value() < 0.2, "backdoor removed: ASR " + asrBefore + " -> " + asrAfter);
            assertTrue(cleanAfter.value() > cleanBefore.value() - 0.1, "accuracy kept: " + cleanBefore + " -> " + cleanAfter);
        }
    }

    /** Plain training: the shared options with nothing added. */
    private static final class TrainingConfig extends dev.fst.tuning.TunerBuilder<TrainingConfig> {
        TrainingConfig() {
            super(TuningConfig.paperDefaults().withHeldOutFraction(0));
        }

        @Override
        protected TrainingConfig self() {
            return this;
        }

        TuningConfig build() {
            return config();
        }
    }
}
