package dev.fst.tuning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import dev.fst.FeatureShiftTuner;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** purify either succeeds or leaves the model exactly as it was. */
class PurifySafetyTest {

    private static final FeatureShiftTuner TUNER = FeatureShiftTuner.builder().epochs(3).batchSize(16).build();

    @Test
    void nanBatch_restoresModelBitIdentical_andNamesEpochAndBatch() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            SyntheticImages images = SyntheticImages.generate(64, 4, 8, 5);
            java.util.Arrays.fill(images.pixels, 40 * 3 * 64, 41 * 3 * 64, Float.NaN); // image 40: the loss turns NaN mid-epoch
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationException e =
                    assertThrows(PurificationException.class, () -> TUNER.purify(model, images.dataset(data)));
            assertEquals(1, e.epoch());
            assertTrue(e.batch() >= 1 && e.batch() <= 4, "batch " + e.batch());
            assertTrue(e.getMessage().startsWith("FST failed in epoch 1 of 3, batch " + e.batch() + ": the loss is NaN"), e.getMessage());
            assertTrue(e.getMessage().endsWith("the model was restored to its original state"), e.getMessage());
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void nanBatch_torchScriptModel_restoresOutputsBitIdentical() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true); NDManager data = NDManager.newBaseManager("PyTorch")) {
            SyntheticImages images = SyntheticImages.generate(64, 4, 8, 5);
            float[] logitsBefore = evalLogits(model, images, data);
            Map<String, float[]> before = Snapshots.parameters(model);
            SyntheticImages poisoned = SyntheticImages.generate(64, 4, 8, 5);
            java.util.Arrays.fill(poisoned.pixels, 50 * 3 * 64, 51 * 3 * 64, Float.POSITIVE_INFINITY);
            assertThrows(PurificationException.class, () -> TUNER.purify(model, poisoned.dataset(data)));
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
            // BatchNorm buffers are not parameters: equal eval outputs show they were restored too.
            assertArrayEquals(logitsBefore, evalLogits(model, images, data));
            FeatureShiftTuner.builder().epochs(1).build().purify(model, images.dataset(data));
        }
    }

    private static float[] evalLogits(Model model, SyntheticImages images, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(images.pixels, new Shape(images.labels.length, 3, 8, 8));
            return model.getBlock().forward(new ParameterStore(scope, false), new NDList(x), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    @Test
    void listenerException_restoresModel_andKeepsTheCause() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            IllegalStateException boom = new IllegalStateException("boom");
            FeatureShiftTuner tuner =
                    FeatureShiftTuner.builder().epochs(3).batchSize(16)
                            .listener(new TuningListener() {
                                @Override
                                public void onEpochEnd(TuningView run, EpochRecord record) {
                                    if (record.epoch() == 2) {
                                        throw boom;
                                    }
                                }
                            })
                            .build();
            PurificationException e =
                    assertThrows(PurificationException.class, () -> tuner.purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data)));
            assertEquals(boom, e.getCause());
            assertEquals(2, e.epoch());
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void interruptedThread_cancelsAndRestores() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            FeatureShiftTuner tuner =
                    FeatureShiftTuner.builder().epochs(3).batchSize(16)
                            .listener(new TuningListener() {
                                @Override
                                public void onBatchEnd(TuningView run) {
                                    if (run.epoch() == 2 && run.batch() == 2) {
                                        Thread.currentThread().interrupt();
                                    }
                                }
                            })
                            .build();
            PurificationException e =
                    assertThrows(PurificationException.class, () -> tuner.purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data)));
            assertTrue(Thread.interrupted(), "the interrupt flag stays set for the caller");
            assertTrue(e.isCancelled());
            assertEquals(2, e.epoch());
            assertEquals(3, e.batch());
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void wrongImageShape_isRefusedBeforeAnythingChanges() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            ArrayDataset oneChannel = dataset(data, data.randomUniform(0, 1, new Shape(8, 1, 8, 8)), 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, oneChannel));
            assertTrue(e.getMessage().startsWith("images of shape (1, 8, 8) do not fit the model"), e.getMessage());
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
        try (Model model = TestModels.resnet18(10, 1); NDManager data = NDManager.newBaseManager("PyTorch")) {
            ArrayDataset wrongSize = dataset(data, data.randomUniform(0, 1, new Shape(4, 3, 8, 8)), 10);
            // a fully convolutional ResNet accepts 8x8 images; the loop does too, which is right.
            ArrayDataset hwc = dataset(data, data.randomUniform(0, 1, new Shape(4, 32, 32, 3)), 10);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, hwc));
            assertTrue(e.getMessage().contains("looks like (H, W, C): add ToTensor"), e.getMessage());
            assertTrue(wrongSize.size() == 4);
        }
    }

    @Test
    void modelThatViewsAFeatureMap_isRefusedChannelsLast_withTheFix_andTunesContiguous() throws Exception {
        try (Model model = TestModels.torchScript("tiny_view.pt", true); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            ArrayDataset set = SyntheticImages.generate(32, 4, 8, 5).dataset(data);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FeatureShiftTuner.builder().epochs(1).build().purify(model, set));
            assertTrue(e.getMessage().contains("tune it with channelsLast(false)"), e.getMessage());
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
            FeatureShiftTuner.builder().epochs(1).channelsLast(false).build().purify(model, set);
            assertEquals(before.size(), Snapshots.changed(before, Snapshots.parameters(model)).size());
        }
    }

    @Test
    void linearModelWithWrongInputWidth_isRefused() {
        try (Model model = Model.newInstance("mlp", "PyTorch"); NDManager data = NDManager.newBaseManager("PyTorch")) {
            SequentialBlock net = new SequentialBlock().add(ai.djl.nn.Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(4).build());
            model.setBlock(net);
            net.initialize(model.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 3, 8, 8));
            ArrayDataset big = dataset(data, data.randomUniform(0, 1, new Shape(4, 3, 16, 16)), 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, big));
            assertTrue(e.getMessage().startsWith("images of shape (3, 16, 16) do not fit the model"), e.getMessage());
        }
    }

    @Test
    void labelsOutsideHeadClasses_areRefusedWithTheImage() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            ArrayDataset bad =
                    new ArrayDataset.Builder()
                            .setData(data.randomUniform(0, 1, new Shape(6, 3, 8, 8)))
                            .optLabels(data.create(new long[] {0, 1, 2, 3, 7, 1}))
                            .setSampling(2, false)
                            .build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, bad));
            assertTrue(e.getMessage().startsWith("label 7 of image 4 is outside the 4 classes [0, 4)"), e.getMessage());
            assertEquals(java.util.List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
            ArrayDataset negative =
                    new ArrayDataset.Builder()
                            .setData(data.randomUniform(0, 1, new Shape(2, 3, 8, 8)))
                            .optLabels(data.create(new long[] {0, -1}))
                            .setSampling(2, false)
                            .build();
            assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, negative));
            ArrayDataset fractional =
                    new ArrayDataset.Builder()
                            .setData(data.randomUniform(0, 1, new Shape(2, 3, 8, 8)))
                            .optLabels(data.create(new float[] {0f, 1.5f}))
                            .setSampling(2, false)
                            .build();
            IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, fractional));
            assertTrue(f.getMessage().contains("image 1 has label 1.5"), f.getMessage());
        }
    }

    @Test
    void emptyDataset_isRefused() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            ArrayDataset empty = dataset(data, data.zeros(new Shape(0, 3, 8, 8)), 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, empty));
            assertEquals("the dataset is empty: it holds no images", e.getMessage());
        }
    }

    @Test
    void inferenceOnlyTorchScript_isRefusedWithTheFix() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", false); NDManager data = NDManager.newBaseManager("PyTorch")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, SyntheticImages.generate(8, 4, 8, 1).dataset(data)));
            assertTrue(e.getMessage().contains("inference-only"), e.getMessage());
            assertTrue(e.getMessage().contains("trainParam"), e.getMessage());
        }
    }

    @Test
    void otherDevice_isRefused() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            FeatureShiftTuner gpu = FeatureShiftTuner.builder().device(Device.gpu(3)).build();
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> gpu.purify(model, SyntheticImages.generate(8, 4, 8, 1).dataset(data)));
            assertEquals("device gpu(3) was requested but the model's parameters are on cpu(); create or load the model on gpu(3)", e.getMessage());
        }
    }

    @Test
    void uninitialisedBlock_andNullArguments_areRefused() {
        try (Model model = Model.newInstance("empty", "PyTorch"); NDManager data = NDManager.newBaseManager("PyTorch")) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(2).build()));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, SyntheticImages.generate(8, 2, 8, 1).dataset(data)));
            assertTrue(e.getMessage().startsWith("the model's block is not initialized"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> TUNER.purify(null, SyntheticImages.generate(8, 2, 8, 1).dataset(data)));
            assertThrows(IllegalArgumentException.class, () -> TUNER.purify(model, null));
        }
    }

    @Test
    void frozenParameters_stayFrozenAndGradientFlagsAreRestored() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            var features = model.getBlock().getChildren().get(0).getValue();
            features.freezeParameters(true);
            Map<String, float[]> before = Snapshots.parameters(model);
            TUNER.purify(model, SyntheticImages.generate(32, 4, 8, 1).dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);
            for (String name : Snapshots.changed(before, after)) {
                assertTrue(name.startsWith("02Linear") || name.contains("running"), "only the head and BN statistics move: " + name);
            }
            for (var p : features.getParameters().values()) {
                assertEquals(false, p.getArray().hasGradient(), p.getName());
            }
            assertNull(null);
        }
    }

    private static ArrayDataset dataset(NDManager manager, NDArray x, int classes) {
        long n = x.getShape().get(0);
        long[] labels = new long[(int) n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
        }
        return new ArrayDataset.Builder().setData(x).optLabels(manager.create(labels)).setSampling(4, false).build();
    }
}
