package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.fst.data.Augmentation;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharpnessAwareTunerTest {

    private static final int N = 32;
    private static final double LR = 0.05;
    private static final double RHO = 0.5;

    @Test
    void plainSam_stepsWithTheGradientAtThePerturbedPoint() {
        checkAgainstHandComputedStep(false);
    }

    @Test
    void adaptiveSam_stepsWithTheGradientAtThePerturbedPoint() {
        checkAgainstHandComputedStep(true);
    }

    private static void checkAgainstHandComputedStep(boolean adaptive) {
        SyntheticImages images = SyntheticImages.generate(N, 3, 8, 11);
        Map<String, float[]> tuned;
        try (Model model = TestModels.cnn(3, 8, 5); NDManager data = NDManager.newBaseManager("PyTorch")) {
            SharpnessAwareTuner.builder().rho(RHO).adaptive(adaptive).epochs(1).batchSize(N).momentum(0).heldOutFraction(0)
                    .learningRate(LR).augmentation(Augmentation.none()).build()
                    .purify(model, images.dataset(data));
            tuned = Snapshots.parameters(model);
        }
        Map<String, float[]> expected;
        Map<String, float[]> plainStep;
        try (Model model = TestModels.cnn(3, 8, 5); NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(images.pixels, new Shape(N, 3, 8, 8));
            NDArray y = m.create(images.labels);
            List<Parameter> params = new ArrayList<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                if (p.getValue().requiresGradient()) {
                    params.add(p.getValue());
                }
            }
            List<NDArray> g1 = gradients(model, params, x, y, m);
            double norm = 0;
            List<NDArray> e = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                NDArray w = params.get(i).getArray().duplicate();
                NDArray s = adaptive ? w.abs().mul(g1.get(i)) : g1.get(i);
                norm += s.square().sum().getFloat();
                e.add(adaptive ? w.square().mul(g1.get(i)) : g1.get(i));
            }
            plainStep = new java.util.LinkedHashMap<>();
            for (int i = 0; i < params.size(); i++) {
                NDArray w = params.get(i).getArray();
                plainStep.put(params.get(i).getName() + i, w.sub(g1.get(i).mul((float) LR)).toFloatArray());
                w.addi(e.get(i).mul((float) (RHO / (Math.sqrt(norm) + 1e-12))));
            }
            // BN running statistics are not compared: both runs update them from batch 1 only
            List<NDArray> g2 = gradients(model, params, x, y, m);
            for (int i = 0; i < params.size(); i++) {
                NDArray w = params.get(i).getArray();
                w.subi(e.get(i).mul((float) (RHO / (Math.sqrt(norm) + 1e-12))));
                w.subi(g2.get(i).mul((float) LR));
            }
            expected = Snapshots.parameters(model);
        }
        double worst = 0;
        double fromPlain = 0;
        int k = 0;
        for (Map.Entry<String, float[]> entry : expected.entrySet()) {
            if (entry.getKey().contains("running")) {
                continue;
            }
            worst = Math.max(worst, SimpleModesTest.maxDiff(entry.getValue(), tuned.get(entry.getKey())));
        }
        for (float[] plain : plainStep.values()) {
            String name = new ArrayList<>(expected.keySet()).stream().filter(n -> !n.contains("running"))
                    .toList().get(k++);
            fromPlain = Math.max(fromPlain, SimpleModesTest.maxDiff(plain, tuned.get(name)));
        }
        assertTrue(worst < 1e-5, "tuned weights match w - lr * grad(w + e): max diff " + worst);
        assertTrue(fromPlain > 1e-4, "and differ from the plain step w - lr * grad(w): " + fromPlain);
    }

    private static List<NDArray> gradients(Model model, List<Parameter> params, NDArray x, NDArray y, NDManager m) {
        try (GradientCollector collector = m.getEngine().newGradientCollector()) {
            NDArray logits = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), true)
                    .singletonOrThrow();
            NDArray loss = logits.logSoftmax(1).mul(y.oneHot(3)).sum().neg().div(N);
            collector.backward(loss);
        }
        List<NDArray> grads = new ArrayList<>();
        for (Parameter p : params) {
            NDArray g = JniUtils.getGradient((PtNDArray) p.getArray()).duplicate();
            grads.add(g);
            JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
        return grads;
    }

    @Test
    void builder_refusesBadRho() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharpnessAwareTuner.builder().rho(0));
        assertEquals("rho must be a finite number > 0 but was 0.0", e.getMessage());
        assertThrows(IllegalStateException.class, () -> SharpnessAwareTuner.builder().rho(1).rho(2));
    }
}
