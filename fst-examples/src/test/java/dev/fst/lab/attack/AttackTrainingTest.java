package dev.fst.lab.attack;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.fst.data.Augmentation;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.lab.data.LabData;
import dev.fst.lab.data.SyntheticCifar;
import dev.fst.lab.model.Architecture;
import dev.fst.lab.train.BackdoorTrainer;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.fst.lab.data.LabeledImages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A small model trained on poisoned lab data learns the backdoor. */
class AttackTrainingTest {

    @ParameterizedTest
    @ValueSource(strings = {"badnet", "blended"})
    void backdooredSmallModel_reachesHighAttackSuccessRate(String name) {
        LabData data = SyntheticCifar.generate(2000, 300, 3);
        Attack attack = Attacks.create(name, 0, null);
        PoisonedSet poisoned = attack.poison(data.train(), 0.1, 1);
        try (Model model = Architecture.SMALL_CNN.newModel(10, 32, 1);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BackdoorTrainer.builder().epochs(6).learningRate(0.05).augmentation(Augmentation.none()).seed(1).build()
                    .train(model, poisoned.images());
            LabeledImages clean = data.test().select(data.test().indicesWhereLabel(0, false));
            LabeledImages triggered = attack.triggeredTestSet(data.test());
            Rate asr = Evaluator.attackSuccessRate(model, triggered.toDataset(manager), 0);
            int[] before = predictions(model, clean, manager);
            int[] after = predictions(model, triggered, manager);
            int notTarget = 0;
            int flipped = 0;
            for (int i = 0; i < before.length; i++) {
                if (before[i] != 0) {
                    notTarget++;
                    flipped += after[i] == 0 ? 1 : 0;
                }
            }
            double flipRate = (double) flipped / notTarget;
            assertTrue(asr.value() > 0.85, name + " ASR " + asr);
            assertTrue(notTarget > 50 && flipRate > 0.85, name + ": the trigger turned " + flipped + " of " + notTarget
                    + " images the model did not already call the target into the target");
        }
    }

    private static int[] predictions(Model model, LabeledImages images, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            return model.getBlock().forward(new ParameterStore(scope, false), new NDList(images.toArray(scope)), false)
                    .singletonOrThrow().argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
        }
    }
}
