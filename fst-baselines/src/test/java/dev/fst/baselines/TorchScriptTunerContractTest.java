package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.EpochRecord;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.TuningListener;
import dev.fst.tuning.TuningView;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every tuner, with the settings of {@link TunerContractTest}, on a TorchScript model with
 * BatchNorm layers ({@code tiny_cnn.pt}: conv1, bn1, conv2, bn2, fc): it completes with a sane
 * result, changes exactly the parameters it trains, leaves no array behind, and a failed run puts
 * the model back bit for bit, BatchNorm running statistics included.
 */
class TorchScriptTunerContractTest {

    private static final int IMAGES = 48;
    private static final Set<String> ALL = Set.of("conv1.weight", "bn1.weight", "bn1.bias",
            "conv2.weight", "bn2.weight", "bn2.bias", "fc.weight", "fc.bias");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.fst.baselines.TunerContractTest#tuners")
    void purify_torchScriptWithBatchNorm_completesAndMovesWhatItTrains(TunerContractTest.Case tuner) throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            int arrays = arrays(model);
            PurificationResult result = tuner.factory().apply(null).purify(model, images(data));

            assertEquals(tuner.name(), result.method());
            assertEquals(2, result.epochs().size());
            for (EpochRecord epoch : result.epochs()) {
                assertTrue(Double.isFinite(epoch.loss()), epoch.toString());
                assertTrue(epoch.tuningAccuracy() >= 0 && epoch.tuningAccuracy() <= 1, epoch.toString());
            }
            Set<String> moved = new HashSet<>(Snapshots.changed(before, Snapshots.parameters(model)));
            switch (tuner.name()) {
                case LinearProbe.NAME -> assertEquals(Set.of("fc.weight", "fc.bias"), moved);
                case NeuralMaskFineTuner.NAME -> assertEquals(Set.of("bn2.weight"), moved, "all but the first BN");
                case AdversarialNeuronPruner.NAME -> {
                    // the masks are learned on a copy; the model changes only where it is pruned
                    assertTrue(Set.of("bn1.weight", "bn2.weight").containsAll(moved), moved.toString());
                    assertTrue(((ChannelMasks) result.details().get("masks")).min() < 1, "masks learned");
                    assertEquals(result.details().get("prunedChannels"), zeros(model) - zeros(before));
                }
                default -> assertEquals(ALL, moved);
            }
            assertEquals(arrays, arrays(model), "a run leaves no array behind in the model's manager");
            assertFinite(model, data);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.fst.baselines.TunerContractTest#tuners")
    void failedRun_torchScript_restoresParametersAndRunningStatistics(TunerContractTest.Case tuner) throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            NDArray x = probe(data);
            float[] outputs = eval(model, x);
            Map<String, float[]> before = Snapshots.parameters(model);
            TuningListener failing = new TuningListener() {
                @Override
                public void onBatchEnd(TuningView run) {
                    if (run.epoch() == 2 && run.batch() == 2) {
                        throw new IllegalStateException("stop here");
                    }
                }
            };
            PurificationException e = assertThrows(PurificationException.class,
                    () -> tuner.factory().apply(failing).purify(model, images(data)));
            assertEquals(2, e.epoch());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
            assertArrayEquals(outputs, eval(model, x), 0f, "running statistics restored too");
        }
    }

    private static int zeros(Model model) {
        return zeros(Snapshots.parameters(model));
    }

    private static int zeros(Map<String, float[]> parameters) {
        int count = 0;
        for (float value : parameters.get("bn1.weight")) {
            count += value == 0 ? 1 : 0;
        }
        for (float value : parameters.get("bn2.weight")) {
            count += value == 0 ? 1 : 0;
        }
        return count;
    }

    private static void assertFinite(Model model, NDManager data) {
        for (float value : eval(model, probe(data))) {
            assertTrue(Float.isFinite(value));
        }
    }

    private static NDArray probe(NDManager data) {
        SyntheticImages images = SyntheticImages.generate(8, 4, 8, 11);
        return data.create(images.pixels, new Shape(8, 3, 8, 8));
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

    private static RandomAccessDataset images(NDManager data) {
        return SyntheticImages.generate(IMAGES, 4, 8, 5).dataset(data);
    }
}
