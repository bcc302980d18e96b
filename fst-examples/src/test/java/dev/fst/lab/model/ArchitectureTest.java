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
