package dev.fst.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.ArrayDataset;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    /** A model that always predicts class 2: zero weights, bias (0, 0, 1). */
    private static Model constant(NDManager unused) {
        Model model = Model.newInstance("constant", "PyTorch");
        SequentialBlock net = new SequentialBlock().add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(3).build());
        model.setBlock(net);
        net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 2, 2));
        var params = net.getParameters();
        params.get("02Linear_weight").getArray().set(new NDIndex("..."), 0f);
        params.get("02Linear_bias").getArray().set(new NDIndex("..."), model.getNDManager().create(new float[] {0, 0, 1}));
        return model;
    }

    @Test
    void accuracy_andAttackSuccessRate_countWhatTheyShould() {
        try (NDManager m = NDManager.newBaseManager("PyTorch"); Model model = constant(m)) {
            ArrayDataset data =
                    new ArrayDataset.Builder()
                            .setData(m.randomUniform(0, 1, new Shape(5, 1, 2, 2)))
                            .optLabels(m.create(new long[] {2, 0, 2, 1, 2}))
                            .setSampling(2, false)
                            .build();
            assertEquals(new Rate(3, 5), Evaluator.accuracy(model, data, 2));
            // target 2: the three images of class 2 are left out; both others go to 2.
            assertEquals(new Rate(2, 2), Evaluator.attackSuccessRate(model, data, 2, 2));
            // target 0: image 1 is left out; none of the other four is predicted 0.
            assertEquals(new Rate(0, 4), Evaluator.attackSuccessRate(model, data, 0));
            assertThrows(IllegalArgumentException.class, () -> Evaluator.attackSuccessRate(model, data, -1));
        }
    }

    @Test
    void robustAccuracy_scoresNonTargetTriggeredImagesAgainstTheirOwnLabels() {
        try (NDManager m = NDManager.newBaseManager("PyTorch"); Model model = constant(m)) {
            ArrayDataset triggered =
                    new ArrayDataset.Builder()
                            .setData(m.randomUniform(0, 1, new Shape(6, 1, 2, 2)))
                            .optLabels(m.create(new long[] {2, 0, 2, 1, 0, 1}))
                            .setSampling(2, false)
                            .build();
            // target 0: images 1 and 4 are left out; the model predicts 2, right for images 0 and 2 only
            assertEquals(new Rate(2, 4), Evaluator.robustAccuracy(model, triggered, 0));
            // and none of the four goes to the target, so RA + ASR = 1 here
            assertEquals(new Rate(0, 4), Evaluator.attackSuccessRate(model, triggered, 0));
            // target 2: the model sends every other image to the target, so RA is 0
            assertEquals(new Rate(0, 4), Evaluator.robustAccuracy(model, triggered, 2, 3));
            assertEquals(new Rate(4, 4), Evaluator.attackSuccessRate(model, triggered, 2));
            assertEquals("target must be >= 0 but was -1", assertThrows(IllegalArgumentException.class,
                    () -> Evaluator.robustAccuracy(model, triggered, -1)).getMessage());
        }
    }

    @Test
    void rate_reportsPercentAndRefusesImpossibleCounts() {
        assertEquals(50.0, new Rate(1, 2).percent());
        assertEquals("50.00% (1/2)", new Rate(1, 2).toString());
        assertThrows(IllegalArgumentException.class, () -> new Rate(3, 2));
    }
}
