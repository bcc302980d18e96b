package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchNormLayersTest {

    @Test
    void find_listsBatchNormsInForwardOrder_namedAsTheirParameters() {
        try (Model model = TestModels.cnn(4, 8, 1); Model plain = BatchNormModels.convNet(2, false, 4, 1)) {
            List<BatchNormLayers.Layer> layers = BatchNormLayers.find(model.getBlock());
            assertEquals(List.of("01SequentialBlock_02BatchNorm", "01SequentialBlock_06BatchNorm"),
                    layers.stream().map(BatchNormLayers.Layer::name).toList());
            assertEquals(List.of(8, 16), layers.stream().map(BatchNormLayers.Layer::channels).toList());
            Map<String, float[]> parameters = Snapshots.parameters(model);
            for (BatchNormLayers.Layer layer : layers) {
                assertTrue(parameters.containsKey(layer.name() + "_gamma"));
                assertTrue(parameters.containsKey(layer.name() + "_runningVar"));
            }
            assertTrue(BatchNormLayers.find(plain.getBlock()).isEmpty());
        }
    }

    @Test
    void find_torchScript_namesNormLayersByTheirParameterGroups() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                Model unnamed = TestModels.torchScript("tiny_unnamed.pt", true)) {
            List<BatchNormLayers.Layer> layers = BatchNormLayers.find(model.getBlock());
            assertEquals(List.of("bn1", "bn2"), layers.stream().map(BatchNormLayers.Layer::name).toList());
            assertEquals(List.of(8, 16), layers.stream().map(BatchNormLayers.Layer::channels).toList());
            for (BatchNormLayers.Layer layer : layers) {
                assertSame(model.getBlock().getParameters().get(layer.name() + ".weight"), layer.gamma());
                assertSame(model.getBlock().getParameters().get(layer.name() + ".bias"), layer.beta());
                assertNull(layer.runningMean(), "DJL does not expose TorchScript buffers");
                assertNull(layer.runningVar());
            }
            // nn.Sequential(Conv2d with bias, BatchNorm2d, ...): the conv's 4-D weight is no norm layer
            assertEquals(List.of("1"),
                    BatchNormLayers.find(unnamed.getBlock()).stream().map(BatchNormLayers.Layer::name).toList());
        }
    }

    @Test
    void find_torchScriptWithoutNormLayers_isEmpty() throws Exception {
        try (Model model = TestModels.torchScript("tiny_view.pt", true)) {
            assertTrue(BatchNormLayers.find(model.getBlock()).isEmpty(), "conv.weight, fc.weight, fc.bias");
        }
    }

    @Test
    void restore_torchScript_putsScalesAndShiftsBack_withoutRunningStatistics() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = model.getNDManager().newSubManager()) {
            Map<String, float[]> before = Snapshots.parameters(model);
            BatchNormLayers layers = BatchNormLayers.capture(BatchNormLayers.find(model.getBlock()), scope);
            layers.set(1, scope.zeros(new Shape(16)), null, scope);
            layers.layer(1).beta().getArray().addi(1f); // PyTorch starts shifts at 0
            assertEquals(List.of("bn2.weight", "bn2.bias"), Snapshots.changed(before, Snapshots.parameters(model)));
            layers.restore(true);
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void find_visitsResidualBlocksMainPathBeforeShortcut() {
        try (Model model = TestModels.resnet18(10, 1)) {
            List<String> names = BatchNormLayers.find(model.getBlock()).stream()
                    .map(BatchNormLayers.Layer::name).toList();
            assertEquals(20, names.size(), "stem, 2 per block, 3 shortcut projections");
            assertEquals("01SequentialBlock_02BatchNorm", names.get(0));
            assertEquals(List.of(
                            "01SequentialBlock_06ParallelBlock_01SequentialBlock_02BatchNorm",
                            "01SequentialBlock_06ParallelBlock_01SequentialBlock_05BatchNorm",
                            "01SequentialBlock_06ParallelBlock_02SequentialBlock_02BatchNorm"),
                    names.subList(5, 8), "second stage's first block: bn1, bn2, shortcut");
        }
    }

    /** dL/da of gamma = gamma0 * a and dL/db of beta = beta0 * b against central differences. */
    @Test
    void factorGradients_matchFiniteDifferences() {
        try (Model model = TestModels.cnn(4, 8, 1); NDManager scope = model.getNDManager().newSubManager()) {
            SyntheticImages data = SyntheticImages.generate(16, 4, 8, 3);
            NDArray x = scope.create(data.pixels, new Shape(16, 3, 8, 8));
            NDArray y = scope.create(data.labels);
            int layer = 1;
            int channel = 5;
            float scale = 1.3f;
            float shift = 0.7f;
            // DJL initialises every shift to 0; give the probed channel one, so its factor matters
            List<BatchNormLayers.Layer> found = BatchNormLayers.find(model.getBlock());
            found.get(layer).beta().getArray().set(new NDIndex(channel), 0.5f);
            BatchNormLayers layers = BatchNormLayers.capture(found, scope);
            set(layers, layer, channel, scale, shift, scope);
            try (GradientCollector collector = model.getNDManager().getEngine().newGradientCollector()) {
                collector.backward(BatchNormModels.trainingLoss(model, x, y, scope));
            }
            float analyticScale = layers.scaleGradient(layer, scope).getFloat(channel);
            float analyticShift = layers.shiftGradient(layer, scope).getFloat(channel);
            layers.zeroGradients();
            float h = 1e-2f;
            float numericScale = (lossAt(model, layers, layer, channel, scale + h, shift, x, y, scope)
                    - lossAt(model, layers, layer, channel, scale - h, shift, x, y, scope)) / (2 * h);
            float numericShift = (lossAt(model, layers, layer, channel, scale, shift + h, x, y, scope)
                    - lossAt(model, layers, layer, channel, scale, shift - h, x, y, scope)) / (2 * h);
            assertTrue(Math.abs(analyticScale) > 1e-5 && Math.abs(analyticShift) > 1e-5);
            assertEquals(numericScale, analyticScale, 0.05 * Math.abs(numericScale) + 1e-4);
            assertEquals(numericShift, analyticShift, 0.05 * Math.abs(numericShift) + 1e-4);
        }
    }

    @Test
    void restore_putsScalesShiftsAndRunningStatisticsBack() {
        try (Model model = TestModels.cnn(4, 8, 1); NDManager scope = model.getNDManager().newSubManager()) {
            Map<String, float[]> before = Snapshots.parameters(model);
            BatchNormLayers layers = BatchNormLayers.capture(BatchNormLayers.find(model.getBlock()), scope);
            set(layers, 0, 0, 0.5f, 2f, scope);
            SyntheticImages data = SyntheticImages.generate(8, 4, 8, 3);
            BatchNormModels.trainingLoss(model, scope.create(data.pixels, new Shape(8, 3, 8, 8)),
                    scope.create(data.labels), scope);
            assertEquals(List.of("01SequentialBlock_02BatchNorm_gamma",
                            "01SequentialBlock_02BatchNorm_runningMean",
                            "01SequentialBlock_02BatchNorm_runningVar",
                            "01SequentialBlock_06BatchNorm_runningMean",
                            "01SequentialBlock_06BatchNorm_runningVar"),
                    Snapshots.changed(before, Snapshots.parameters(model)),
                    "the first scale (its shift is 0) and every running statistic changed");
            layers.restore(true);
            assertTrue(Snapshots.changed(before, Snapshots.parameters(model)).isEmpty());
        }
    }

    private static void set(BatchNormLayers layers, int layer, int channel, float scale, float shift,
            NDManager scope) {
        for (int i = 0; i < layers.size(); i++) {
            float[] a = new float[layers.layer(i).channels()];
            float[] b = new float[a.length];
            java.util.Arrays.fill(a, 1f);
            java.util.Arrays.fill(b, 1f);
            if (i == layer) {
                a[channel] = scale;
                b[channel] = shift;
            }
            layers.set(i, scope.create(a), scope.create(b), scope);
        }
    }

    private static float lossAt(Model model, BatchNormLayers layers, int layer, int channel, float scale,
            float shift, NDArray x, NDArray y, NDManager scope) {
        set(layers, layer, channel, scale, shift, scope);
        return BatchNormModels.trainingLoss(model, x, y, scope).getFloat();
    }
}
