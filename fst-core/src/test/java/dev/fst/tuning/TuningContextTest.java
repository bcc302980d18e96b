package dev.fst.tuning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.fst.head.HeadSelector;
import dev.fst.internal.EngineAdapter;
import dev.fst.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TuningContextTest {

    @Test
    void forwardInInferenceMode_torchScript_recordsGradients_likeANativeBlock() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager run = model.getNDManager().newSubManager()) {
            List<Parameter> parameters = new ArrayList<>(model.getBlock().getParameters().values());
            TuningContext context = new TuningContext(model, HeadSelector.auto().select(model.getBlock()),
                    parameters, run, new Random(1), TuningConfig.paperDefaults());
            NDArray x = run.randomNormal(new Shape(5, 3, 8, 8));
            float[] before = eval(model, run, x);
            try (GradientCollector collector = context.newGradientCollector()) {
                NDArray logits = context.forward(x, false);
                collector.backward(context.crossEntropy(logits, run.create(new long[] {0, 1, 2, 3, 0})));
            }
            for (Parameter parameter : parameters) {
                try (NDArray gradient = EngineAdapter.gradient(parameter.getArray())) {
                    assertNotNull(gradient, parameter.getName());
                    assertTrue(gradient.abs().sum().getFloat() > 0, parameter.getName());
                }
                EngineAdapter.zeroGradient(parameter.getArray());
            }
            assertArrayEquals(before, eval(model, run, x), 0f, "BatchNorm kept its running statistics");
        }
    }

    private static float[] eval(Model model, NDManager manager, NDArray x) {
        return model.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false)
                .singletonOrThrow().toFloatArray();
    }
}
