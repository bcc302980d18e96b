package dev.fst.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.fst.testing.TestModels;
import org.junit.jupiter.api.Test;

class EngineAdapterTest {

    @Test
    void inferenceForward_torchScript_recordsGradients_andKeepsRunningStatistics() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = model.getNDManager().newSubManager()) {
            Block block = model.getBlock();
            ParameterStore store = new ParameterStore(scope, false);
            NDArray x = scope.randomNormal(new Shape(6, 3, 8, 8));
            float[] before = djlEval(block, store, x);
            Parameter conv = block.getParameters().get("conv1.weight");
            NDArray logits;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                logits = EngineAdapter.inferenceForward(block, new NDList(x)).singletonOrThrow();
                collector.backward(logits.square().sum());
            }
            assertArrayEquals(before, logits.toFloatArray(), 0f, "evaluation mode: DJL's eval outputs");
            try (NDArray gradient = EngineAdapter.gradient(conv.getArray())) {
                assertNotNull(gradient, "the backward pass reached the first layer");
                assertTrue(gradient.abs().sum().getFloat() > 0);
            }
            EngineAdapter.zeroGradient(conv.getArray());
            assertArrayEquals(before, djlEval(block, store, x), 0f, "running statistics unchanged");
        }
    }

    @Test
    void inferenceForward_outsideACollector_recordsNothing() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = model.getNDManager().newSubManager()) {
            Parameter fc = model.getBlock().getParameters().get("fc.weight");
            NDArray x = scope.randomNormal(new Shape(2, 3, 8, 8));
            EngineAdapter.inferenceForward(model.getBlock(), new NDList(x));
            assertNull(EngineAdapter.gradient(fc.getArray()));
        }
    }

    /** PtSymbolBlock switches the module only when the mode it remembers differs from the one asked for. */
    @Test
    void inferenceForward_thenDjlTrainingForward_runsInTrainingMode() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = model.getNDManager().newSubManager()) {
            Block block = model.getBlock();
            ParameterStore store = new ParameterStore(scope, false);
            NDArray x = scope.randomNormal(new Shape(6, 3, 8, 8));
            djlEval(block, store, x);
            block.forward(store, new NDList(x), true); // DJL now remembers training mode
            float[] eval = EngineAdapter.inferenceForward(block, new NDList(x)).singletonOrThrow().toFloatArray();
            float[] train = block.forward(store, new NDList(x), true).singletonOrThrow().toFloatArray();
            assertFalse(java.util.Arrays.equals(eval, train), "batch statistics, not running ones");
            assertFalse(java.util.Arrays.equals(eval, djlEval(block, store, x)), "running statistics moved");
        }
    }

    @Test
    void forward_nativeBlock_isThePlainForward() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager scope = model.getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            NDArray x = scope.randomNormal(new Shape(3, 3, 8, 8));
            float[] expected = djlEval(model.getBlock(), store, x);
            NDArray out = EngineAdapter.forward(model.getBlock(), store, new NDList(x), false).singletonOrThrow();
            assertArrayEquals(expected, out.toFloatArray(), 0f);
            assertFalse(EngineAdapter.isTorchScript(model.getBlock()));
            assertThrows(IllegalArgumentException.class, () -> EngineAdapter.inferenceForward(model.getBlock(), new NDList(x)));
        }
    }

    @Test
    void copyModule_isIndependent_andClosedWithItsManager() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager scope = model.getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            NDArray x = scope.randomNormal(new Shape(4, 3, 8, 8));
            float[] original = djlEval(model.getBlock(), store, x);
            NDManager owner = model.getNDManager().newSubManager();
            Block copy = EngineAdapter.copyModule(model.getBlock(), owner);
            assertArrayEquals(original, djlEval(copy, store, x), 0f, "same weights and statistics");
            copy.forward(store, new NDList(x), true); // moves the copy's statistics only
            copy.getParameters().get("fc.bias").getArray().addi(1f);
            assertArrayEquals(original, djlEval(model.getBlock(), store, x), 0f, "the model is untouched");
            NDArray copyBias = copy.getParameters().get("fc.bias").getArray();
            owner.close();
            assertTrue(copyBias.isReleased(), "the copy's arrays die with its manager");
        }
    }

    private static float[] djlEval(Block block, ParameterStore store, NDArray x) {
        return block.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
    }
}
