package dev.fst.lab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.fst.head.ClassifierHead;
import dev.fst.head.HeadSelector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchitectureTest {

    @ParameterizedTest
    @CsvSource({"small-cnn, 131178, 1", "vgg-small, 650410, 3"})
    void grayscale28Models_countTheirParameters_andEndInTheirHead(String id, long parameters, int headLayers) {
        try (Model model = Architecture.of(id).newModel(10, 1, 28, 1, ai.djl.Device.cpu());
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            long count = model.getBlock().getParameters().values().stream().filter(p -> p.requiresGradient())
                    .mapToLong(p -> p.getArray().size()).sum();
            assertEquals(parameters, count);
            assertEquals(headLayers, HeadSelector.auto().select(model.getBlock()).layers().size());
            NDArray out = model.getBlock().forward(new ParameterStore(manager, false),
                    new NDList(manager.randomUniform(0, 1, new Shape(2, 1, 28, 28))), false).singletonOrThrow();
            assertEquals(new Shape(2, 10), out.getShape());
        }
    }

    @org.junit.jupiter.api.Test
    void grayscale28Model_isBuiltForOneChannel_andFstPurifiesIt() {
        try (Model model = Architecture.SMALL_CNN.newModel(4, 1, 28, 3, ai.djl.Device.cpu());
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            float[] before = head.layers().get(0).weight().getArray().toFloatArray();
            double norm = dev.fst.head.NormProjection.frobenius(head.layers().get(0).weight().getArray());
            java.util.Random random = new java.util.Random(4);
            byte[] pixels = new byte[64 * 28 * 28];
            random.nextBytes(pixels);
            int[] labels = new int[64];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i % 4;
            }
            dev.fst.lab.data.LabeledImages images = dev.fst.lab.data.LabeledImages.of(pixels, labels, 28, 28, 1,
                    java.util.List.of("a", "b", "c", "d"));
            dev.fst.tuning.PurificationResult result = dev.fst.FeatureShiftTuner.builder().epochs(2).batchSize(16)
                    .build().purify(model, images.toDataset(manager));
            assertEquals("(1, 28, 28)", result.imageShape());
            float[] after = head.layers().get(0).weight().getArray().toFloatArray();
            assertTrue(!java.util.Arrays.equals(before, after), "the head was re-initialised and tuned");
            assertEquals(norm, dev.fst.head.NormProjection.frobenius(head.layers().get(0).weight().getArray()), 1e-4,
                    "projected back to the original norm");
        }
    }

    @ParameterizedTest
    @CsvSource({"resnet18, 11173962, 1", "preact-resnet18, 11171146, 1", "vgg19-bn, 139622218, 3", "small-cnn, 131754, 1"})
    void models_matchPyTorchSizes_andExposeFeaturesAndHead(String id, long parameters, int headLayers) {
        Architecture architecture = Architecture.of(id);
        try (Model model = architecture.newModel(10, 32, 1); NDManager manager = NDManager.newBaseManager("PyTorch")) {
            long count = model.getBlock().getParameters().values().stream().filter(p -> p.requiresGradient())
                    .mapToLong(p -> p.getArray().size()).sum();
            assertEquals(parameters, count);
            SequentialBlock net = (SequentialBlock) model.getBlock();
            assertEquals(2, net.getChildren().size(), "Sequential[features, head]");
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(headLayers, head.layers().size(), head.toString());
            assertEquals(10, head.numClasses());
            if (architecture != Architecture.VGG19_BN) {
                NDArray out = net.forward(new ParameterStore(manager, false),
                        new NDList(manager.randomUniform(0, 1, new Shape(2, 3, 32, 32))), false).singletonOrThrow();
                assertEquals(new Shape(2, 10), out.getShape());
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"bogus", "resnet"})
    void of_unknownName_listsTheValidNames(String id) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.of(id));
        assertTrue(e.getMessage().contains("small-cnn, ") || e.getMessage().contains("resnet18, "), e.getMessage());
    }
}
