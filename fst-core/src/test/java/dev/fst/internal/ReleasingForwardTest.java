package dev.fst.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.fst.testing.TestModels;
import org.junit.jupiter.api.Test;

class ReleasingForwardTest {

    @Test
    void run_leavesOnlyTheOutput_keepsTheInput_andComputesTheSameLogits() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager batch = model.getNDManager().newSubManager()) {
            NDArray x = batch.randomUniform(0, 1, new Shape(6, 3, 8, 8));
            ParameterStore store = new ParameterStore(batch, false);
            int before = batch.getManagedArrays().size();
            NDArray logits = ReleasingForward.run(model.getBlock(), store, new NDList(x), false).singletonOrThrow();
            assertEquals(before + 1, batch.getManagedArrays().size(), "only the logits are added");
            assertFalse(x.isReleased());
            assertSame(batch, x.getManager());
            assertSame(batch, logits.getManager());
            try (NDManager plain = batch.newSubManager()) {
                NDArray input = x.duplicate();
                input.attach(plain);
                NDArray expected = model.getBlock().forward(store, new NDList(input), false).singletonOrThrow();
                assertTrue(plain.getManagedArrays().size() > 3, "a plain forward keeps every intermediate");
                assertArrayEquals(expected.toFloatArray(), logits.toFloatArray(), 0f);
            }
        }
    }

    @Test
    void run_identityChildren_returnTheInputUnreleased() {
        try (NDManager batch = NDManager.newBaseManager("PyTorch")) {
            SequentialBlock identity = new SequentialBlock().add(Blocks.identityBlock()).add(Blocks.identityBlock());
            identity.initialize(batch, DataType.FLOAT32, new Shape(2, 3));
            NDArray x = batch.ones(new Shape(2, 3));
            NDList out = ReleasingForward.run(identity, new ParameterStore(batch, false), new NDList(x), false);
            assertSame(x, out.singletonOrThrow());
            assertFalse(x.isReleased());
            assertSame(batch, x.getManager());
        }
    }
}
