package dev.fst.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.fst.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeadSelectorTest {

    @Test
    void auto_cifarResNet18_findsTheSingleLinear() {
        try (Model model = TestModels.resnet18(10, 1)) {
            assertEquals(11_173_962L, TestModels.trainableCount(model), "a real CIFAR ResNet-18");
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(List.of("02Linear"), head.names());
            assertEquals(10, head.numClasses());
            assertEquals(512, head.layers().get(0).inFeatures());
        }
    }

    @Test
    void auto_vggStyleThreeLinearHead_findsAllThreeInOrder() {
        try (Model model = TestModels.vgg(10, 16, 1)) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(
                    List.of("02SequentialBlock_01Linear", "02SequentialBlock_04Linear", "02SequentialBlock_07Linear"),
                    head.names());
            assertEquals(List.of(32L, 32L, 10L), head.layers().stream().map(HeadLayer::outFeatures).toList());
        }
    }

    @Test
    void named_djlPrefix_selectsLayersUnderIt() {
        try (Model model = TestModels.vgg(10, 16, 1)) {
            assertEquals(3, HeadSelector.named("02SequentialBlock").select(model.getBlock()).layers().size());
            assertEquals(
                    List.of("02SequentialBlock_07Linear"),
                    HeadSelector.named("02SequentialBlock_07Linear").select(model.getBlock()).names());
        }
    }

    @Test
    void of_explicitBlocks_selectsThem() {
        try (Model model = TestModels.vgg(10, 16, 1)) {
            Block head = model.getBlock().getChildren().get(1).getValue();
            Block last = head.getChildren().get(6).getValue();
            assertEquals(
                    List.of("02SequentialBlock_07Linear"),
                    HeadSelector.of(last).select(model.getBlock()).names());
        }
    }

    @Test
    void of_blockOutsideModel_isRefusedWithWhatWasSeen() {
        try (Model model = TestModels.cnn(4, 8, 1)) {
            Linear stranger = Linear.builder().setUnits(4).build();
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> HeadSelector.of(stranger).select(model.getBlock()));
            assertTrue(e.getMessage().contains("not part of the model"), e.getMessage());
            assertTrue(e.getMessage().contains("02Linear"), e.getMessage());
        }
    }

    @Test
    void auto_torchScriptFc_foundByName() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true)) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(List.of("fc"), head.names());
            assertEquals(4, head.numClasses());
        }
    }

    @Test
    void auto_torchScriptClassifierSequence_takesAllThree() throws Exception {
        try (Model model = TestModels.torchScript("tiny_vgg.pt", true)) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(List.of("classifier.0", "classifier.3", "classifier.6"), head.names());
        }
    }

    @Test
    void auto_torchScriptWithoutHeadNames_foundByShape() throws Exception {
        try (Model model = TestModels.torchScript("tiny_unnamed.pt", true)) {
            ClassifierHead head = HeadSelector.auto().select(model.getBlock());
            assertEquals(List.of("5"), head.names());
            assertEquals(8, head.layers().get(0).inFeatures());
        }
    }

    @Test
    void named_torchScriptParameterName_isAccepted() throws Exception {
        try (Model model = TestModels.torchScript("tiny_vgg.pt", true)) {
            assertEquals(List.of("classifier.6"), HeadSelector.named("classifier.6.weight").select(model.getBlock()).names());
        }
    }

    @Test
    void named_unknown_listsCandidates() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true)) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> HeadSelector.named("linear").select(model.getBlock()));
            assertTrue(e.getMessage().contains("no Linear layer is named 'linear'"), e.getMessage());
            assertTrue(e.getMessage().contains("fc (4x16)"), e.getMessage());
        }
    }

    @Test
    void auto_modelWithoutLinear_saysNoHeadFound() {
        try (Model model = Model.newInstance("conv-only", "PyTorch")) {
            SequentialBlock net =
                    new SequentialBlock()
                            .add(ai.djl.nn.convolutional.Conv2d.builder()
                                    .setKernelShape(new ai.djl.ndarray.types.Shape(3, 3))
                                    .setFilters(4)
                                    .build())
                            .add(ai.djl.nn.Blocks.batchFlattenBlock());
            model.setBlock(net);
            net.initialize(model.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3, 8, 8));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> HeadSelector.auto().select(model.getBlock()));
            assertTrue(e.getMessage().startsWith("no head found: the model has no Linear layer"), e.getMessage());
            assertTrue(e.getMessage().contains("01Conv2d"), e.getMessage());
        }
    }

    @Test
    void of_layersThatDoNotChain_areAmbiguous() {
        try (Model model = TestModels.vgg(10, 16, 1)) {
            Block head = model.getBlock().getChildren().get(1).getValue();
            Block first = head.getChildren().get(0).getValue();
            Block last = head.getChildren().get(6).getValue();
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> HeadSelector.of(last, first).select(model.getBlock()));
            assertTrue(e.getMessage().startsWith("ambiguous head"), e.getMessage());
        }
    }

    @Test
    void factories_refuseBadArguments() {
        assertThrows(IllegalArgumentException.class, HeadSelector::named);
        assertThrows(IllegalArgumentException.class, () -> HeadSelector.named(" "));
        assertThrows(IllegalArgumentException.class, () -> HeadSelector.of(new SequentialBlock()));
    }
}
