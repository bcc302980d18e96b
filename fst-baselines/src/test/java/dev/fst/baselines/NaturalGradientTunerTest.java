package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.fst.data.Augmentation;
import dev.fst.head.ClassifierHead;
import dev.fst.head.HeadLayer;
import dev.fst.head.HeadSelector;
import dev.fst.internal.EngineAdapter;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class NaturalGradientTunerTest {

    private static final int CLASSES = 3;
    private static final int SIZE = 8;
    private static final int IMAGES = 24;
    private static final String WEIGHT = "02Linear_weight";
    private static final String BIAS = "02Linear_bias";

    // ---------------------------------------------------------------- SymmetricEigen

    @Test
    void symmetricEigen_reconstructsRandomSymmetricMatrix() {
        Random random = new Random(11);
        for (int n : new int[] {1, 2, 6, 40}) {
            double[][] m = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    m[i][j] = m[j][i] = random.nextGaussian();
                }
            }
            assertDecomposes(m);
        }
    }

    @Test
    void symmetricEigen_handlesRepeatedAndZeroEigenvalues() {
        // 0.95 I + 0.05 v v^T: the shape of a curvature factor after one update from one sample
        double[] v = {1, -2, 0.5, 3, 0, 1};
        double[][] m = new double[6][6];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                m[i][j] = (i == j ? 0.95 : 0) + 0.05 * v[i] * v[j];
            }
        }
        SymmetricEigen eigen = assertDecomposes(m);
        double[] values = eigen.values();
        for (int i = 0; i < 5; i++) {
            assertEquals(0.95, values[i], 1e-12, "five-fold eigenvalue 0.95");
        }
        assertEquals(0.95 + 0.05 * 15.25, values[5], 1e-12);
        assertDecomposes(new double[4][4]);
        double[][] rankOne = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                rankOne[i][j] = (i + 1) * (j + 1);
            }
        }
        assertArrayEquals(new double[] {0, 0, 14}, assertDecomposes(rankOne).values(), 1e-12);
    }

    private static SymmetricEigen assertDecomposes(double[][] m) {
        int n = m.length;
        SymmetricEigen eigen = SymmetricEigen.of(m);
        double[][] q = eigen.vectors();
        double[] d = eigen.values();
        for (int j = 1; j < n; j++) {
            assertTrue(d[j - 1] <= d[j], "ascending eigenvalues");
        }
        double scale = Math.max(1, frobenius(m));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double reconstructed = 0;
                double gram = 0;
                for (int k = 0; k < n; k++) {
                    reconstructed += q[i][k] * d[k] * q[j][k];
                    gram += q[k][i] * q[k][j];
                }
                String at = " at " + i + "," + j;
                assertEquals(m[i][j], reconstructed, 1e-9 * scale, "Q diag Q^T = M" + at);
                assertEquals(i == j ? 1 : 0, gram, 1e-9, "Q^T Q = I" + at);
            }
        }
        return eigen;
    }

    @Test
    void symmetricEigen_refusesNonSquareAndNonFiniteInput() {
        var e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> SymmetricEigen.of(new double[][] {{1, 2}}));
        assertTrue(e.getMessage().contains("square"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> SymmetricEigen.of(new double[][] {{1, Double.NaN}, {0, 1}}));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    }

    // ---------------------------------------------------------------- KfacCurvature

    @Test
    void curvature_ekfacRescaleAndPreconditioner_matchTheFormulas() {
        int n = 40;
        int k = 5;
        int c = 3;
        double decay = 0.8;
        double damping = 0.01;
        Random random = new Random(5);
        double[][] a1 = gaussian(random, n, k);
        double[][] g1 = gaussian(random, n, c);
        double[][] a2 = gaussian(random, n, k);
        double[][] g2 = gaussian(random, n, c);
        double[][] grad = gaussian(random, c, k);
        double[][] measured;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            KfacCurvature curvature = new KfacCurvature(k, c, decay, damping, manager);
            curvature.accumulate(array(manager, a1), array(manager, g1));
            curvature.decompose();
            curvature.rescale(array(manager, a2), array(manager, g2));
            measured = matrix(curvature.precondition(array(manager, grad), manager), c, k);
        }
        double[][] factorA = runningAverage(decay, meanOuter(a1));
        double[][] factorG = runningAverage(decay, meanOuter(g1));
        SymmetricEigen eigenA = SymmetricEigen.of(factorA);
        SymmetricEigen eigenG = SymmetricEigen.of(factorG);
        double[][] qa = eigenA.vectors();
        double[][] qg = eigenG.vectors();
        double[][] projectedA = multiply(a2, qa);
        double[][] projectedG = multiply(g2, qg);
        double[][] expected = multiply(transpose(qg), multiply(grad, qa));
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < k; j++) {
                double batch = 0;
                for (int s = 0; s < n; s++) {
                    batch += square(projectedG[s][i]) * square(projectedA[s][j]);
                }
                double scale =
                        decay * eigenG.values()[i] * eigenA.values()[j] + (1 - decay) * batch / n;
                expected[i][j] /= scale + damping;
            }
        }
        expected = multiply(qg, multiply(expected, transpose(qa)));
        double error = relativeError(measured, expected);
        assertTrue(error < 1e-4, "error " + error);
    }

    // ---------------------------------------------------------------- the tuner

    @Test
    void step_isTheKfacNaturalGradientForTheHead_andPlainSgdElsewhere() {
        double lr = 0.5;
        double decay = 0.5;
        SyntheticImages images = SyntheticImages.generate(IMAGES, CLASSES, SIZE, 7);
        try (Model model = TestModels.cnn(CLASSES, SIZE, 3);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Reference reference = Reference.of(model, images);
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    oneStep(lr, 1e9)
                            .statDecay(decay)
                            .build()
                            .purify(model, images.dataset(data));
            Map<String, float[]> after = Snapshots.parameters(model);

            double[][] step = headStep(before, after, lr);
            double[][] gradient = reference.headGradient();
            double[][] factorA = runningAverage(decay, meanOuter(reference.layerInputs()));
            double[][] factorG = runningAverage(decay, meanOuter(reference.outputGradients()));
            double[][] predicted = multiply(factorG, multiply(step, factorA));
            assertTrue(
                    relativeError(predicted, gradient) < 1e-3,
                    "G V A = grad, error " + relativeError(predicted, gradient));
            assertTrue(
                    relativeError(step, gradient) > 1e-2,
                    "the step is not the plain gradient: " + relativeError(step, gradient));
            assertTrue(
                    relativeError(unit(step), unit(gradient)) > 1e-2,
                    "not even parallel to it: " + relativeError(unit(step), unit(gradient)));

            int others = 0;
            for (Map.Entry<String, float[]> entry : reference.gradients().entrySet()) {
                String name = entry.getKey();
                if (name.equals(WEIGHT) || name.equals(BIAS)) {
                    continue;
                }
                others++;
                float[] grad = entry.getValue();
                for (int i = 0; i < grad.length; i++) {
                    assertEquals(
                            before.get(name)[i] - lr * grad[i],
                            after.get(name)[i],
                            1e-5,
                            name + "[" + i + "] takes the plain SGD step");
                }
            }
            assertEquals(6, others, "conv and BN weights and biases");
            assertEquals("02Linear", result.details().get("preconditionedLayer"));
            assertEquals(0, result.details().get("klClippedSteps"));
        }
    }

    @Test
    void step_onAHeadWithoutBias_isTheKfacNaturalGradientOfTheWeight() {
        double lr = 0.5;
        SyntheticImages images = SyntheticImages.generate(IMAGES, CLASSES, SIZE, 7);
        try (Model model = Model.newInstance("no-bias", "PyTorch");
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            initialise(
                    model,
                    new SequentialBlock()
                            .add(tinyFeatures())
                            .add(Linear.builder().setUnits(CLASSES).optBias(false).build()));
            Reference reference = Reference.of(model, images);
            Map<String, float[]> before = Snapshots.parameters(model);
            oneStep(lr, 1e9).build().purify(model, images.dataset(data));
            double[][] step = headStep(before, Snapshots.parameters(model), lr);
            double[][] gradient = reference.headGradient();
            assertEquals(4, gradient[0].length, "no bias column");
            double[][] factorA = runningAverage(0.95, meanOuter(reference.layerInputs()));
            double[][] factorG = runningAverage(0.95, meanOuter(reference.outputGradients()));
            double[][] predicted = multiply(factorG, multiply(step, factorA));
            assertTrue(
                    relativeError(predicted, gradient) < 1e-3,
                    "G V A = grad, error " + relativeError(predicted, gradient));
            assertTrue(relativeError(step, gradient) > 1e-2, "not the plain gradient");
        }
    }

    @Test
    void klClip_boundsTheQuadraticKlOfTheHeadStep() {
        double lr = 0.5;
        SyntheticImages images = SyntheticImages.generate(IMAGES, CLASSES, SIZE, 7);
        double[][] unclipped = headStepOfOneRun(images, lr, 1e9);
        double[][] gradient;
        double[][] factorA;
        double[][] factorG;
        try (Model model = TestModels.cnn(CLASSES, SIZE, 3)) {
            Reference reference = Reference.of(model, images);
            gradient = reference.headGradient();
            factorA = runningAverage(0.95, meanOuter(reference.layerInputs()));
            factorG = runningAverage(0.95, meanOuter(reference.outputGradients()));
        }
        double estimate = lr * lr * innerProduct(unclipped, gradient);
        double klClip = estimate / 16; // nu = 1/4
        double[][] clipped = headStepOfOneRun(images, lr, klClip);
        double kl = lr * lr * innerProduct(clipped, multiply(factorG, multiply(clipped, factorA)));
        assertEquals(klClip, kl, 1e-3 * klClip, "the clipped step's KL estimate equals klClip");
        assertTrue(
                relativeError(scale(unclipped, 0.25), clipped) < 1e-4,
                "same direction, 1/4 the length");
    }

    private static double[][] headStepOfOneRun(SyntheticImages images, double lr, double klClip) {
        try (Model model = TestModels.cnn(CLASSES, SIZE, 3);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    oneStep(lr, klClip).build().purify(model, images.dataset(data));
            if (klClip < 1) {
                assertEquals(1, result.details().get("klClippedSteps"));
                assertEquals(0.25, (double) result.details().get("klScaleMin"), 1e-4);
            }
            return headStep(before, Snapshots.parameters(model), lr);
        }
    }

    /** One plain step over all images at once, exact K-FAC at step 0 (no EKFAC rescale). */
    private static NaturalGradientTuner.Builder oneStep(double lr, double klClip) {
        return NaturalGradientTuner.builder()
                .epochs(1)
                .heldOutFraction(0)
                .batchSize(IMAGES)
                .augmentation(Augmentation.none())
                .momentum(0)
                .learningRate(lr)
                .klClip(klClip)
                .damping(1e-8)
                .scaleInterval(1000);
    }

    @Test
    void severalSteps_withEkfacRescaling_trainEverythingAndPreconditionTheLastHeadLayer() {
        try (Model model = TestModels.vgg(CLASSES, SIZE, 4);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result =
                    NaturalGradientTuner.builder()
                            .epochs(2)
                            .batchSize(8)
                            .covarianceInterval(2)
                            .inverseInterval(3)
                            .scaleInterval(2)
                            .build()
                            .purify(
                                    model,
                                    SyntheticImages.generate(32, CLASSES, SIZE, 9).dataset(data));
            List<String> changed = Snapshots.changed(before, Snapshots.parameters(model));
            assertEquals(before.keySet(), new HashSet<>(changed));
            assertEquals("02SequentialBlock_07Linear", result.details().get("preconditionedLayer"));
            assertEquals(2, result.epochs().size());
            assertTrue(Double.isFinite(result.epochs().get(1).loss()));
        }
    }

    @Test
    void capturingForward_givesTheModelsLogits_andTheHeadsInput() {
        Model[] models = {TestModels.cnn(CLASSES, SIZE, 3), TestModels.vgg(CLASSES, SIZE, 3)};
        for (Model model : models) {
            try (model; NDManager scope = model.getNDManager().newSubManager()) {
                Block root = model.getBlock();
                ClassifierHead head = HeadSelector.auto().select(root);
                HeadLayer last = head.layers().get(head.layers().size() - 1);
                SyntheticImages images = SyntheticImages.generate(6, CLASSES, SIZE, 1);
                NDArray x = scope.create(images.pixels, new Shape(6, 3, SIZE, SIZE));
                ParameterStore store = new ParameterStore(scope, false);
                CapturingForward.Capture capture =
                        CapturingForward.locate(root, last).forward(store, x, false);
                NDArray logits = root.forward(store, new NDList(x), false).singletonOrThrow();
                assertArrayEquals(logits.toFloatArray(), capture.logits().toFloatArray());
                Block features = root.getChildren().get(0).getValue();
                NDArray input = features.forward(store, new NDList(x), false).singletonOrThrow();
                if (head.layers().size() > 1) { // VGG: through the head's first layers
                    Block headBlock = root.getChildren().get(1).getValue();
                    NDList current = new NDList(input);
                    ai.djl.nn.BlockList children = headBlock.getChildren();
                    for (int i = 0; i < children.size() - 1; i++) {
                        current = children.get(i).getValue().forward(store, current, false);
                    }
                    input = current.singletonOrThrow();
                }
                assertArrayEquals(input.toFloatArray(), capture.input().toFloatArray());
            }
        }
    }

    @Test
    void linearInputs_readBackFromTheGraph_equalTheCapturedHeadInputs() {
        Model[] models = {TestModels.cnn(CLASSES, SIZE, 3), TestModels.vgg(CLASSES, SIZE, 3)};
        for (Model model : models) {
            try (model; NDManager scope = model.getNDManager().newSubManager()) {
                Block root = model.getBlock();
                ClassifierHead head = HeadSelector.auto().select(root);
                HeadLayer last = head.layers().get(head.layers().size() - 1);
                // 7 images, 3 classes: three autograd calls, the last for one image
                NDArray x = scope.create(SyntheticImages.generate(7, CLASSES, SIZE, 1).pixels, new Shape(7, 3, SIZE, SIZE));
                CapturingForward.Capture capture;
                NDArray recovered;
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    capture = CapturingForward.locate(root, last).forward(new ParameterStore(scope, false), x, true);
                    recovered = LinearInputs.recover(capture.logits(), last, scope);
                    collector.backward(capture.logits().sum()); // the graph survived the read-back
                }
                assertArrayEquals(capture.input().toFloatArray(), recovered.toFloatArray(), 0f, "bit for bit");
                LinearInputs.checkReproduces(recovered, capture.logits(), last, "NGF", scope);
                assertTrue(gradientNorm(last) > 0, "the backward pass after the read-back reached the head");
            }
        }
    }

    @Test
    void linearInputs_ofAScaledHeadWithABias_doNotReproduceTheLogits() {
        try (Model model = Model.newInstance("scaled", "PyTorch");
                NDManager scope = NDManager.newBaseManager("PyTorch")) {
            initialise(model, new SequentialBlock()
                    .add(tinyFeatures())
                    .add(Linear.builder().setUnits(CLASSES).build())
                    .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().mul(2)))));
            HeadLayer last = HeadSelector.auto().select(model.getBlock()).layers().get(0);
            last.bias().getArray().addi(0.5f); // DJL starts biases at 0, which would hide the scaling
            NDArray x = scope.create(SyntheticImages.generate(4, CLASSES, SIZE, 1).pixels, new Shape(4, 3, SIZE, SIZE));
            NDArray logits;
            NDArray recovered;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                logits = model.getBlock().forward(new ParameterStore(scope, false), new NDList(x), true).singletonOrThrow();
                recovered = LinearInputs.recover(logits, last, scope);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LinearInputs.checkReproduces(recovered, logits, last, "NGF", scope));
            assertTrue(e.getMessage().startsWith("NGF preconditions the head's last layer 02Linear and reads"
                    + " its inputs back"), e.getMessage());
            EngineAdapter.zeroGradient(last.weight().getArray());
        }
    }

    @Test
    void purify_torchScript_preconditionsTheHeadWithInputsReadFromTheGraph() throws Exception {
        try (Model model = TestModels.torchScript("tiny_cnn.pt", true);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationResult result = NaturalGradientTuner.builder().epochs(2).batchSize(8)
                    .covarianceInterval(2).inverseInterval(3).scaleInterval(2).build()
                    .purify(model, SyntheticImages.generate(32, 4, SIZE, 9).dataset(data));
            assertEquals("fc", result.details().get("preconditionedLayer"));
            assertEquals(before.keySet(), new HashSet<>(Snapshots.changed(before, Snapshots.parameters(model))));
            assertTrue(Double.isFinite(result.epochs().get(1).loss()));
        }
    }

    @Test
    void purify_torchScriptWhoseOutputIsNotTheHeads_isRefusedOnTheFirstBatch_andRestored() throws Exception {
        try (Model model = TestModels.torchScript("scaled_logits.pt", true);
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationException e = assertThrows(PurificationException.class,
                    () -> NaturalGradientTuner.builder().epochs(1).batchSize(8).build()
                            .purify(model, SyntheticImages.generate(16, 4, SIZE, 2).dataset(data)));
            assertEquals(1, e.epoch());
            assertEquals(1, e.batch());
            assertTrue(e.getCause() instanceof IllegalArgumentException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("do not give the model's logits through the layer"),
                    e.getCause().getMessage());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    private static double gradientNorm(HeadLayer layer) {
        try (NDArray gradient = EngineAdapter.gradient(layer.weight().getArray())) {
            double norm = gradient.abs().sum().getFloat();
            EngineAdapter.zeroGradient(layer.weight().getArray());
            return norm;
        }
    }

    @Test
    void validate_refusesAHeadInsideAParallelBlock_beforeAnythingChanges() {
        try (Model model = Model.newInstance("wrapped", "PyTorch");
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            SequentialBlock net =
                    new SequentialBlock()
                            .add(tinyFeatures())
                            .add(Linear.builder().setUnits(CLASSES).build());
            Block root = new ParallelBlock(outputs -> outputs.get(0), List.of(net));
            initialise(model, root);
            Map<String, float[]> before = Snapshots.parameters(model);
            var error =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> purifyOneEpoch(model, data));
            String message = error.getMessage();
            assertTrue(message.contains("chain of SequentialBlocks"), message);
            assertTrue(message.contains("<root> on the way is a ParallelBlock"), message);
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void validate_refusesAHeadWhoseOutputIsNotTheLogits() {
        try (Model model = Model.newInstance("trailing", "PyTorch");
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            Block root =
                    new SequentialBlock()
                            .add(tinyFeatures())
                            .add(Linear.builder().setUnits(CLASSES).build())
                            .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().mul(2))));
            initialise(model, root);
            Map<String, float[]> before = Snapshots.parameters(model);
            var error =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> purifyOneEpoch(model, data));
            String message = error.getMessage();
            assertTrue(message.contains("02Linear is followed by 03LambdaBlock"), message);
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    private static PurificationResult purifyOneEpoch(Model model, NDManager data) {
        return NaturalGradientTuner.builder()
                .epochs(1)
                .build()
                .purify(model, SyntheticImages.generate(16, CLASSES, SIZE, 2).dataset(data));
    }

    private static SequentialBlock tinyFeatures() {
        return new SequentialBlock()
                .add(
                        Conv2d.builder()
                                .setKernelShape(new Shape(3, 3))
                                .optPadding(new Shape(1, 1))
                                .setFilters(4)
                                .build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock());
    }

    private static void initialise(Model model, Block root) {
        model.setBlock(root);
        Engine.getEngine("PyTorch").setRandomSeed(1);
        root.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, SIZE, SIZE));
    }

    // ---------------------------------------------------------------- builder

    @Test
    void builder_validatesEachOptionAtOnce_withPreciseMessages() {
        assertMessage(
                "damping must be a finite number > 0 but was 0.0",
                () -> NaturalGradientTuner.builder().damping(0));
        assertMessage(
                "klClip must be a finite number > 0 but was NaN",
                () -> NaturalGradientTuner.builder().klClip(Double.NaN));
        assertMessage(
                "statDecay must be in (0, 1) but was 1.0",
                () -> NaturalGradientTuner.builder().statDecay(1));
        assertMessage(
                "covarianceInterval must be >= 1 but was 0",
                () -> NaturalGradientTuner.builder().covarianceInterval(0));
        assertMessage(
                "inverseInterval must be >= 1 but was -3",
                () -> NaturalGradientTuner.builder().inverseInterval(-3));
        assertMessage(
                "scaleInterval must be >= 1 but was 0",
                () -> NaturalGradientTuner.builder().scaleInterval(0));
        var twice =
                assertThrows(
                        IllegalStateException.class,
                        () -> NaturalGradientTuner.builder().damping(1).damping(2));
        assertEquals("damping was already set to 1.0", twice.getMessage());
    }

    @Test
    void builder_defaults_areTheReferencesAndShowInTheConfiguration() {
        NaturalGradientTuner tuner = NaturalGradientTuner.builder().build();
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("method", "NGF");
        expected.put("damping", 1e-3);
        expected.put("klClip", 1e-2);
        expected.put("statDecay", 0.95);
        expected.put("covarianceInterval", 10);
        expected.put("inverseInterval", 100);
        expected.put("scaleInterval", 10);
        expected.put("epochs", 10);
        expected.put("learningRate", 0.01);
        assertEquals(
                List.copyOf(expected.entrySet()),
                List.copyOf(tuner.configuration().entrySet()).subList(0, expected.size()));
        assertEquals(0.9, tuner.config().momentum());
        assertEquals(0.0, tuner.config().weightDecay());
        assertEquals("NGF", tuner.name());
    }

    private static void assertMessage(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    // ---------------------------------------------------------------- independent reference

    /** The plain gradients, head inputs and logits of one training-mode pass over all images. */
    private record Reference(
            Map<String, float[]> gradients, double[][] features, double[][] logits, long[] labels) {

        static Reference of(Model model, SyntheticImages images) {
            int n = images.labels.length;
            Block root = model.getBlock();
            Block features = root.getChildren().get(0).getValue();
            Block linear = root.getChildren().get(1).getValue();
            Map<String, float[]> gradients = new LinkedHashMap<>();
            try (NDManager scope = model.getNDManager().newSubManager()) {
                NDArray x = scope.create(images.pixels, new Shape(n, 3, SIZE, SIZE));
                NDArray y = scope.create(images.labels).oneHot(CLASSES);
                ParameterStore store = new ParameterStore(scope, false);
                double[][] a;
                double[][] z;
                Engine engine = Engine.getEngine("PyTorch");
                try (GradientCollector collector = engine.newGradientCollector()) {
                    NDArray input = features.forward(store, new NDList(x), true).singletonOrThrow();
                    NDArray logits =
                            linear.forward(store, new NDList(input), true).singletonOrThrow();
                    NDArray loss = logits.logSoftmax(1).mul(y).sum().neg().div(n);
                    collector.backward(loss);
                    a = matrix(input, n, (int) input.getShape().get(1));
                    z = matrix(logits, n, CLASSES);
                }
                for (Pair<String, Parameter> pair : root.getParameters()) {
                    if (!pair.getValue().requiresGradient()) {
                        continue;
                    }
                    PtNDArray array = (PtNDArray) pair.getValue().getArray();
                    try (NDArray grad = JniUtils.getGradient(array)) {
                        gradients.put(pair.getKey(), grad.toFloatArray());
                    }
                    JniUtils.zeroGrad(array);
                }
                return new Reference(gradients, a, z, images.labels.clone());
            }
        }

        /** {@code [dW | db]}, C x (d + 1), or {@code dW} for a head without bias. */
        double[][] headGradient() {
            return withBiasColumn(gradients.get(WEIGHT), gradients.get(BIAS), 1);
        }

        /** The head's inputs with a constant 1 appended when the head has a bias. */
        double[][] layerInputs() {
            int d = features[0].length;
            int k = gradients.containsKey(BIAS) ? d + 1 : d;
            double[][] out = new double[features.length][k];
            for (int s = 0; s < features.length; s++) {
                System.arraycopy(features[s], 0, out[s], 0, d);
                if (k > d) {
                    out[s][d] = 1;
                }
            }
            return out;
        }

        /** softmax(logits) - onehot(labels), N x C. */
        double[][] outputGradients() {
            double[][] out = new double[logits.length][CLASSES];
            for (int s = 0; s < logits.length; s++) {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : logits[s]) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int c = 0; c < CLASSES; c++) {
                    sum += Math.exp(logits[s][c] - max);
                }
                for (int c = 0; c < CLASSES; c++) {
                    out[s][c] = Math.exp(logits[s][c] - max) / sum - (labels[s] == c ? 1 : 0);
                }
            }
            return out;
        }
    }

    /** {@code (W_before - W_after) / lr}, with the bias column appended when there is a bias. */
    private static double[][] headStep(
            Map<String, float[]> before, Map<String, float[]> after, double lr) {
        return withBiasColumn(
                difference(before.get(WEIGHT), after.get(WEIGHT)),
                before.containsKey(BIAS) ? difference(before.get(BIAS), after.get(BIAS)) : null,
                1 / lr);
    }

    private static double[] difference(float[] before, float[] after) {
        double[] out = new double[before.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (double) before[i] - after[i];
        }
        return out;
    }

    private static double[][] withBiasColumn(double[] weight, double[] bias, double factor) {
        int d = weight.length / CLASSES;
        double[][] out = new double[CLASSES][bias == null ? d : d + 1];
        for (int i = 0; i < CLASSES; i++) {
            for (int j = 0; j < d; j++) {
                out[i][j] = weight[i * d + j] * factor;
            }
            if (bias != null) {
                out[i][d] = bias[i] * factor;
            }
        }
        return out;
    }

    private static double[][] withBiasColumn(float[] weight, float[] bias, double factor) {
        return withBiasColumn(toDouble(weight), bias == null ? null : toDouble(bias), factor);
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    // ---------------------------------------------------------------- small matrix helpers

    private static double[][] meanOuter(double[][] rows) {
        int n = rows.length;
        double[][] out = multiply(transpose(rows), rows);
        return scale(out, 1.0 / n);
    }

    private static double[][] runningAverage(double decay, double[][] batch) {
        double[][] out = scale(batch, 1 - decay);
        for (int i = 0; i < out.length; i++) {
            out[i][i] += decay;
        }
        return out;
    }

    private static double[][] multiply(double[][] x, double[][] y) {
        double[][] out = new double[x.length][y[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < y.length; k++) {
                for (int j = 0; j < y[0].length; j++) {
                    out[i][j] += x[i][k] * y[k][j];
                }
            }
        }
        return out;
    }

    private static double[][] transpose(double[][] x) {
        double[][] out = new double[x[0].length][x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                out[j][i] = x[i][j];
            }
        }
        return out;
    }

    private static double[][] scale(double[][] x, double factor) {
        double[][] out = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                out[i][j] = x[i][j] * factor;
            }
        }
        return out;
    }

    private static double[][] unit(double[][] x) {
        return scale(x, 1 / frobenius(x));
    }

    private static double innerProduct(double[][] x, double[][] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                sum += x[i][j] * y[i][j];
            }
        }
        return sum;
    }

    private static double frobenius(double[][] x) {
        return Math.sqrt(innerProduct(x, x));
    }

    private static double relativeError(double[][] actual, double[][] expected) {
        double[][] difference = new double[actual.length][actual[0].length];
        for (int i = 0; i < actual.length; i++) {
            for (int j = 0; j < actual[0].length; j++) {
                difference[i][j] = actual[i][j] - expected[i][j];
            }
        }
        return frobenius(difference) / frobenius(expected);
    }

    private static double square(double x) {
        return x * x;
    }

    private static double[][] gaussian(Random random, int rows, int columns) {
        double[][] out = new double[rows][columns];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                out[i][j] = random.nextGaussian();
            }
        }
        return out;
    }

    private static NDArray array(NDManager manager, double[][] x) {
        float[] values = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                values[i * x[0].length + j] = (float) x[i][j];
            }
        }
        return manager.create(values, new Shape(x.length, x[0].length));
    }

    private static double[][] matrix(NDArray array, int rows, int columns) {
        float[] values = array.toFloatArray();
        double[][] out = new double[rows][columns];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                out[i][j] = values[i * columns + j];
            }
        }
        return out;
    }
}
