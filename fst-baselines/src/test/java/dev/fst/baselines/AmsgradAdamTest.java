package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class AmsgradAdamTest {

    private static final float[] START = {0.5f, -1.0f, 2.0f};
    private static final float[][] GRADIENTS = {{1.0f, -0.5f, 0.0f}, {0.1f, 0.2f, -3.0f}, {0.05f, -0.1f, 0.01f}};

    /**
     * Expected weights after each step, lr 0.1, betas (0.9, 0.999), eps 1e-8, as printed by
     * torch 1.13's torch.optim.Adam(amsgrad=True). Step 1 is the hand value p - lr * sign(g) (with
     * 0 for a zero gradient): the bias corrections make the first step exactly lr per element.
     */
    private static final float[][] TORCH_NO_DECAY = {
        {0.4000000059604645f, -0.9000000357627869f, 2.0f},
        {0.32591894268989563f, -0.8654394745826721f, 2.074413776397705f},
        {0.265547513961792f, -0.8275002837181091f, 2.1316940784454346f},
    };

    /** The same with weight decay 0.1 (PyTorch's L2 term added to the gradient). */
    private static final float[][] TORCH_DECAY = {
        {0.4000000059604645f, -0.9000000357627869f, 1.899999976158142f},
        {0.32374292612075806f, -0.8475190997123718f, 1.9694713354110718f},
        {0.26001617312431335f, -0.790162205696106f, 2.018346071243286f},
    };

    /** Plain Adam (amsgrad off) differs only in the third weight of step 3, where v shrank. */
    private static final float PLAIN_ADAM_STEP3_THIRD = 2.1317224502563477f;

    @Test
    void steps_matchTorchAdamWithAmsgrad() {
        assertEquals(3, run(0, TORCH_NO_DECAY));
        assertEquals(3, run(0.1, TORCH_DECAY));
    }

    @Test
    void amsgrad_keepsTheLargestSecondMoment() {
        // After step 2 the third element's second moment is 0.009; step 3's gradient 0.01 shrinks
        // it, so AMSGrad divides by the older, larger value and takes a smaller step than Adam.
        float amsgrad = TORCH_NO_DECAY[2][2];
        float stepAmsgrad = amsgrad - TORCH_NO_DECAY[1][2];
        float stepPlain = PLAIN_ADAM_STEP3_THIRD - TORCH_NO_DECAY[1][2];
        assertTrue(stepPlain - stepAmsgrad > 2e-5, "AMSGrad step " + stepAmsgrad + " vs Adam " + stepPlain);
    }

    @Test
    void constructor_rejectsOutOfRangeValues() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> new AmsgradAdam(1.0, 0.999, 1e-8, 0, manager));
            assertEquals("beta1 must be in [0, 1) but was 1.0", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new AmsgradAdam(0.9, 0.999, 0, 0, manager));
            assertEquals("epsilon must be a finite number > 0 but was 0.0", e.getMessage());
        }
    }

    private static int run(double weightDecay, float[][] expected) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            AmsgradAdam adam = new AmsgradAdam(0.9, 0.999, 1e-8, weightDecay, manager);
            NDArray weight = manager.create(START.clone());
            for (int step = 0; step < GRADIENTS.length; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    adam.update("w", weight, scope.create(GRADIENTS[step]), 0.1);
                }
                assertArrayEquals(expected[step], weight.toFloatArray(), 2e-7f, "step " + (step + 1));
            }
            return adam.steps("w");
        }
    }
}
