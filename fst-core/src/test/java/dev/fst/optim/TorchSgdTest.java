package dev.fst.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class TorchSgdTest {

    /**
     * loss = sum(c * p) has the constant gradient c. PyTorch: v1 = c, v2 = 0.9 c + c = 1.9 c;
     * p2 = p0 - lr1 c - lr2 1.9 c. DJL's built-in SGD would give p0 - lr1 c - (0.9 lr1 + lr2) c.
     */
    @Test
    void step_momentumAppliesLearningRateAfterVelocity_asPyTorch() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray p = manager.create(new float[] {1f, -2f, 3f});
            p.setRequiresGradient(true);
            Parameter parameter = Parameter.builder().setName("p").setType(Parameter.Type.WEIGHT).optArray(p).build();
            NDArray c = manager.create(new float[] {0.5f, 1f, -1f});
            TorchSgd sgd = new TorchSgd(0.9, 0, manager);
            double[] rates = {0.1, 0.02};
            for (double lr : rates) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(p.mul(c).sum());
                }
                sgd.step(List.of(parameter), lr);
            }
            float[] expected = new float[3];
            float[] c0 = c.toFloatArray();
            float[] p0 = {1f, -2f, 3f};
            for (int i = 0; i < 3; i++) {
                expected[i] = (float) (p0[i] - 0.1 * c0[i] - 0.02 * 1.9 * c0[i]);
            }
            assertArrayEquals(expected, p.toFloatArray(), 1e-6f);
            try (NDArray g = p.getGradient()) {
                assertArrayEquals(new float[3], g.toFloatArray(), 0f, "gradient zeroed after the step");
            }
        }
    }

    @Test
    void step_weightDecayAddsToGradient() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray p = manager.create(new float[] {2f});
            p.setRequiresGradient(true);
            Parameter parameter = Parameter.builder().setName("p").setType(Parameter.Type.WEIGHT).optArray(p).build();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(p.mul(3f).sum());
            }
            new TorchSgd(0, 0.5, manager).step(List.of(parameter), 0.1);
            assertEquals(2f - 0.1f * (3f + 0.5f * 2f), p.getFloat(), 1e-6f);
        }
    }

    @Test
    void constructor_refusesOutOfRange() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            assertThrows(IllegalArgumentException.class, () -> new TorchSgd(1.0, 0, manager));
            assertThrows(IllegalArgumentException.class, () -> new TorchSgd(0.9, -1, manager));
        }
    }

    @Test
    void cosine_matchesPyTorchCosineAnnealingPerEpoch() {
        LearningRateSchedule schedule = LearningRateSchedule.cosine();
        assertEquals(0.05, schedule.rate(0.05, 1, 4), 1e-15);
        assertEquals(0.04267766952966369, schedule.rate(0.05, 2, 4), 1e-12);
        assertEquals(0.025, schedule.rate(0.05, 3, 4), 1e-12);
        assertEquals(0.007322330470336313, schedule.rate(0.05, 4, 4), 1e-12);
        assertThrows(IndexOutOfBoundsException.class, () -> schedule.rate(0.05, 5, 4));
    }
}
