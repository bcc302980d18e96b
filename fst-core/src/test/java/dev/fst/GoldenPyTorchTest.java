package dev.fst;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.dataset.ArrayDataset;
import dev.fst.data.Augmentation;
import dev.fst.head.HeadSelector;
import dev.fst.testing.TestModels;
import dev.fst.tuning.PurificationResult;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FST in Java against the same run in PyTorch: {@code src/test/python/make_fixtures.py} ran FST on
 * {@code tiny_cnn.pt} with torch 1.13 and stored the loss of every step and the final weights in
 * {@code golden_fst.npz}; the Java run starts from the same module, data and re-initialised head.
 */
class GoldenPyTorchTest {

    @Test
    void purify_matchesPyTorchReference_lossesAndFinalWeights() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> ref = new HashMap<>();
            try (InputStream in = Files.newInputStream(TestModels.fixtures().resolve("golden_fst.npz"))) {
                for (NDArray array : NDList.decode(manager, in)) {
                    ref.put(array.getName(), array);
                }
            }
            int epochs = (int) ref.get("epochs").toLongArray()[0];
            ArrayDataset data =
                    new ArrayDataset.Builder()
                            .setData(ref.get("x"))
                            .optLabels(ref.get("y"))
                            .setSampling(16, false)
                            .build();
            FeatureShiftTuner tuner =
                    FeatureShiftTuner.paperBuilder()
                            .alpha(ref.get("alpha").toDoubleArray()[0])
                            .learningRate(ref.get("lr").toDoubleArray()[0])
                            .epochs(epochs)
                            .batchSize(16)
                            .heldOutFraction(0)
                            .augmentation(Augmentation.none())
                            .head(HeadSelector.named("fc"))
                            .headInitializer(
                                    (layer, random) -> {
                                        layer.weight().getArray().set(new NDIndex("..."), ref.get("w_init"));
                                        layer.bias().getArray().set(new NDIndex("..."), ref.get("b_init"));
                                    })
                            .build();

            PurificationResult result = tuner.purify(model, data);

            double[] losses = ref.get("losses").toDoubleArray();
            double[] lrs = ref.get("lrs").toDoubleArray();
            for (int e = 0; e < epochs; e++) {
                assertEquals(lrs[e], result.epochs().get(e).learningRate(), 1e-12, "lr of epoch " + e);
                assertRelative(losses[e], result.epochs().get(e).loss(), "loss of step " + (e + 1));
            }
            var params = model.getBlock().getParameters();
            assertClose(ref.get("fc_weight"), params.get("fc.weight").getArray(), "fc.weight");
            assertClose(ref.get("fc_bias"), params.get("fc.bias").getArray(), "fc.bias");
            assertClose(ref.get("conv1_weight"), params.get("conv1.weight").getArray(), "conv1.weight");
        }
    }

    private static void assertRelative(double expected, double actual, String what) {
        assertEquals(0, Math.abs(actual - expected) / Math.abs(expected), 1e-4, what + ": " + actual + " vs " + expected);
    }

    /** Relative to the largest magnitude of the reference, element by element. */
    private static void assertClose(NDArray expected, NDArray actual, String what) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        assertEquals(e.length, a.length, what + " size");
        double scale = 0;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            assertEquals(0, Math.abs(a[i] - e[i]) / scale, 1e-4, what + "[" + i + "]: " + a[i] + " vs " + e[i]);
        }
    }
}
