package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.fst.head.NormProjection;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FineTunerTest {

    @Test
    void purify_startsFromTheBackdooredHead_andTrainsEverything() {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            float[] w0 = before.get("02Linear_weight");
            FineTuner.builder().epochs(1).batchSize(64).learningRate(1e-4).build()
                    .purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);
            assertEquals(before.keySet(), new java.util.HashSet<>(Snapshots.changed(before, after)));
            float[] w = after.get("02Linear_weight");
            double diff = 0;
            for (int i = 0; i < w.length; i++) {
                diff = Math.max(diff, Math.abs(w[i] - w0[i]));
            }
            assertTrue(diff < 1e-3, "no re-initialisation: one tiny step moves the head by " + diff);
        }
    }

    @Test
    void projection_holdsHeadNorm_whenOnOnly() {
        assertEquals(0, normDrift(true), 1e-5);
        assertTrue(normDrift(false) > 1e-4, "without projection the norm drifts");
    }

    private static double normDrift(boolean projection) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            var weight = model.getBlock().getParameters().get("02Linear_weight").getArray();
            double n0 = NormProjection.frobenius(weight);
            FineTuner.builder().epochs(2).batchSize(16).learningRate(0.1).projection(projection).build()
                    .purify(model, SyntheticImages.generate(64, 4, 8, 5).dataset(data));
            return Math.abs(NormProjection.frobenius(weight) - n0) / n0;
        }
    }
}
