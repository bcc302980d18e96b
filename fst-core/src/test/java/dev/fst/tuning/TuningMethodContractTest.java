package dev.fst.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.fst.data.Augmentation;
import dev.fst.head.ClassifierHead;
import dev.fst.optim.LearningRateSchedule;
import dev.fst.optim.TorchSgd;
import dev.fst.optim.TuningLoss;
import dev.fst.optim.TuningOptimizer;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link TuningMethod} and {@link TuningListener}, as docs/baselines.md ("Writing
 * a method") states it: which hook the loop calls, in which order, how often, and what it does not
 * call when something fails. A recording method, loss, optimizer and listener log every call of a
 * two-epoch run of three mini-batches per epoch.
 */
class TuningMethodContractTest {

    /** 64 images of 4 classes, a quarter held out: 48 tuning images, 3 batches of 16. */
    private static final int IMAGES = 64;

    private static final List<String> TWO_EPOCHS = List.of(
            "validate", "needsHeldOut", "loss.forRun", "optimizer.create", "prepare", "trainableParameters",
            "listener.onTuningStart",
            "startEpoch 1 lr 0.01",
            "gradients 1.1", "loss 1.1", "optimizer.step 1.1", "afterStep 1.1", "listener.onBatchEnd 1.1",
            "gradients 1.2", "loss 1.2", "optimizer.step 1.2", "afterStep 1.2", "listener.onBatchEnd 1.2",
            "gradients 1.3", "loss 1.3", "optimizer.step 1.3", "afterStep 1.3", "listener.onBatchEnd 1.3",
            "listener.onEpochEnd 1",
            "startEpoch 2 lr 0.005",
            "gradients 2.1", "loss 2.1", "optimizer.step 2.1", "afterStep 2.1", "listener.onBatchEnd 2.1",
            "gradients 2.2", "loss 2.2", "optimizer.step 2.2", "afterStep 2.2", "listener.onBatchEnd 2.2",
            "gradients 2.3", "loss 2.3", "optimizer.step 2.3", "afterStep 2.3", "listener.onBatchEnd 2.3",
            "listener.onEpochEnd 2",
            "finish",
            "listener.onTuningEnd");

    @Test
    void twoEpochRun_callsEveryHookInContractOrderAndCount() {
        List<String> log = new ArrayList<>();
        PurificationResult result = run(log, new Recorder(log), Double.NaN);
        assertEquals(TWO_EPOCHS, log);
        assertEquals(2, result.epochs().size());
        assertEquals(0.005, result.epochs().get(1).learningRate(), 1e-12, "the schedule's rate is recorded");
    }

    @Test
    void failureInGradients_stopsAtOnce_noFinish_noEnd_modelRestored() {
        List<String> log = new ArrayList<>();
        Recorder failing = new Recorder(log) {
            @Override
            public StepResult gradients(TuningContext context, MiniBatch batch) {
                StepResult step = super.gradients(context, batch);
                if (batch.epoch() == 2 && batch.index() == 2) {
                    throw new IllegalStateException("boom");
                }
                return step;
            }
        };
        try (Model model = TestModels.cnn(4, 8, 3)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationException e = assertThrows(PurificationException.class,
                    () -> run(model, log, failing, Double.NaN));
            assertEquals(TWO_EPOCHS.subList(0, TWO_EPOCHS.indexOf("gradients 2.2") + 2), log,
                    "nothing after the failing call: no optimizer step, no afterStep, no finish, no onTuningEnd");
            assertEquals(2, e.epoch());
            assertEquals(2, e.batch());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)), "model restored");
            for (Parameter p : model.getBlock().getParameters().values()) {
                assertTrue(p.getArray().hasGradient() == p.requiresGradient(), "gradient flag restored: " + p.getName());
            }
        }
    }

    @Test
    void failureInPrepare_noFurtherCall_modelRestored() {
        List<String> log = new ArrayList<>();
        Recorder failing = new Recorder(log) {
            @Override
            public void prepare(TuningContext context) {
                super.prepare(context);
                context.head().layers().get(0).weight().getArray().muli(0); // changed, then undone
                throw new IllegalStateException("boom");
            }
        };
        try (Model model = TestModels.cnn(4, 8, 3)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationException e = assertThrows(PurificationException.class,
                    () -> run(model, log, failing, Double.NaN));
            assertEquals(TWO_EPOCHS.subList(0, TWO_EPOCHS.indexOf("prepare") + 1), log);
            assertEquals(0, e.epoch());
            assertTrue(e.getMessage().contains("before the first epoch"), e.getMessage());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void failureInValidate_reachesTheCallerAsItIs_beforeAnythingElse() {
        List<String> log = new ArrayList<>();
        IllegalArgumentException refusal = new IllegalArgumentException("no BatchNorm");
        Recorder refusing = new Recorder(log) {
            @Override
            public void validate(Block block, ClassifierHead head) {
                super.validate(block, head);
                throw refusal;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(log, refusing, Double.NaN));
        assertSame(refusal, e);
        assertEquals(List.of("validate"), log);
    }

    @Test
    void divergingLoss_failsAtThatBatch_beforeTheConfiguredListenersSeeIt() {
        List<String> log = new ArrayList<>();
        try (Model model = TestModels.cnn(4, 8, 3)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            PurificationException e = assertThrows(PurificationException.class,
                    () -> run(model, log, new Recorder(log), 1.2));
            assertEquals(TWO_EPOCHS.subList(0, TWO_EPOCHS.indexOf("afterStep 1.2") + 1), log,
                    "the divergence check runs before the listener's onBatchEnd 1.2");
            assertEquals(1, e.epoch());
            assertEquals(2, e.batch());
            assertTrue(e.getMessage().contains("the loss is NaN"), e.getMessage());
            assertEquals(List.of(), Snapshots.changed(before, Snapshots.parameters(model)));
        }
    }

    @Test
    void explicitGradients_areTheCompleteUpdate() {
        List<String> log = new ArrayList<>();
        Parameter[] target = new Parameter[1];
        Recorder explicit = new Recorder(log) {
            @Override
            public StepResult gradients(TuningContext context, MiniBatch batch) {
                StepResult recorded = super.gradients(context, batch);
                target[0] = context.head().layers().get(0).weight();
                NDArray ones = batch.manager().ones(target[0].getArray().getShape());
                return new StepResult(recorded.loss(), recorded.logits(), Map.of(target[0], ones));
            }
        };
        try (Model model = TestModels.cnn(4, 8, 3)) {
            Map<String, float[]> before = Snapshots.parameters(model);
            run(model, log, explicit, Double.NaN);
            List<String> changed = Snapshots.changed(before, Snapshots.parameters(model)).stream()
                    .filter(name -> !name.contains("running")) // BatchNorm statistics follow the data
                    .toList();
            assertEquals(List.of("02Linear_weight"), changed, "only the parameter given a gradient moved");
            float[] was = before.get("02Linear_weight");
            float[] now = target[0].getArray().toFloatArray();
            // momentum 0, rates 0.01 then 0.005, three steps each: w - 3 * 0.01 - 3 * 0.005
            assertEquals(was[0] - 0.045f, now[0], 1e-5f);
            for (Parameter p : model.getBlock().getParameters().values()) {
                if (p.getArray().hasGradient()) {
                    assertEquals(0f, p.getArray().getGradient().abs().sum().getFloat(), 0f,
                            "recorded gradients zeroed: " + p.getName());
                }
            }
        }
    }

    private static PurificationResult run(List<String> log, Recorder method, double nanAt) {
        try (Model model = TestModels.cnn(4, 8, 3)) {
            return run(model, log, method, nanAt);
        }
    }

    /** Runs two epochs; {@code nanAt} = epoch.batch where the loss turns NaN, or NaN for never. */
    private static PurificationResult run(Model model, List<String> log, Recorder method, double nanAt) {
        TuningConfig config = new Options()
                .epochs(2).batchSize(16).heldOutFraction(0.25).momentum(0).augmentation(Augmentation.none())
                .schedule(LearningRateSchedule.cosine())
                .loss(new RecordingLoss(log, nanAt))
                .optimizer(TuningOptimizer.named("recording SGD",
                        (c, manager) -> new RecordingOptimizer(log, new TorchSgd(c.momentum(), 0, manager))))
                .listener(new RecordingListener(log))
                .config();
        try (NDManager data = NDManager.newBaseManager("PyTorch")) {
            return new Recording(config, method).purify(model, SyntheticImages.generate(IMAGES, 4, 8, 5).dataset(data));
        }
    }

    /** Records every hook; each override calls the default, so the run behaves as plain FT. */
    private static class Recorder implements TuningMethod {
        final List<String> log;
        int epoch;
        int batch;

        Recorder(List<String> log) {
            this.log = log;
        }

        @Override
        public void validate(Block block, ClassifierHead head) {
            log.add("validate");
        }

        @Override
        public boolean needsHeldOut() {
            log.add("needsHeldOut");
            return false;
        }

        @Override
        public void prepare(TuningContext context) {
            log.add("prepare");
        }

        @Override
        public List<Parameter> trainableParameters(TuningContext context) {
            log.add("trainableParameters");
            return TuningMethod.super.trainableParameters(context);
        }

        @Override
        public void startEpoch(TuningContext context) {
            log.add("startEpoch " + context.epoch() + " lr " + context.learningRate());
        }

        @Override
        public StepResult gradients(TuningContext context, MiniBatch batch) {
            epoch = batch.epoch();
            this.batch = batch.index();
            log.add("gradients " + batch.epoch() + "." + batch.index());
            RecordingLoss.current = batch.epoch() + "." + batch.index();
            return TuningMethod.super.gradients(context, batch);
        }

        @Override
        public void afterStep(TuningContext context) {
            log.add("afterStep " + epoch + "." + batch);
        }

        @Override
        public void finish(TuningContext context) {
            log.add("finish");
        }
    }

    private static final class RecordingLoss implements TuningLoss {
        static String current = "";
        private final List<String> log;
        private final double nanAt;

        RecordingLoss(List<String> log, double nanAt) {
            this.log = log;
            this.nanAt = nanAt;
        }

        @Override
        public NDArray evaluate(NDArray logits, NDArray labels, NDManager batch) {
            log.add("loss " + current);
            NDArray loss = TuningLoss.crossEntropy(logits, labels);
            return current.equals(Double.toString(nanAt)) ? loss.mul(Float.NaN) : loss;
        }

        @Override
        public TuningLoss forRun(TuningContext context) {
            log.add("loss.forRun");
            return this;
        }
    }

    private static final class RecordingOptimizer implements TuningOptimizer {
        private final List<String> log;
        private final TorchSgd sgd;

        RecordingOptimizer(List<String> log, TorchSgd sgd) {
            this.log = log;
            this.sgd = sgd;
            log.add("optimizer.create");
        }

        @Override
        public void step(List<Parameter> parameters, double learningRate) {
            log.add("optimizer.step " + RecordingLoss.current);
            sgd.step(parameters, learningRate);
        }

        @Override
        public void update(String key, NDArray weight, NDArray gradient, double learningRate) {
            log.add("optimizer.step " + RecordingLoss.current);
            sgd.update(key, weight, gradient, learningRate);
        }
    }

    private static final class RecordingListener implements TuningListener {
        private final List<String> log;

        RecordingListener(List<String> log) {
            this.log = log;
        }

        @Override
        public void onTuningStart(TuningView run) {
            assertEquals(0, run.epoch());
            assertEquals(3, run.batchesPerEpoch());
            assertEquals(IMAGES, run.data().count());
            log.add("listener.onTuningStart");
        }

        @Override
        public void onBatchEnd(TuningView run) {
            assertTrue(Double.isFinite(run.batchLoss()));
            log.add("listener.onBatchEnd " + run.epoch() + "." + run.batch());
        }

        @Override
        public void onEpochEnd(TuningView run, EpochRecord record) {
            assertEquals(run.epoch(), record.epoch());
            assertEquals(record, run.history().get(run.history().size() - 1));
            log.add("listener.onEpochEnd " + record.epoch());
        }

        @Override
        public void onTuningEnd(TuningView run) {
            assertEquals(2, run.history().size());
            log.add("listener.onTuningEnd");
        }
    }

    private static final class Options extends TunerBuilder<Options> {
        Options() {
            super(TuningConfig.paperDefaults());
        }

        @Override
        protected Options self() {
            return this;
        }
    }

    private static final class Recording extends AbstractPurifier {
        private final TuningMethod method;

        Recording(TuningConfig config, TuningMethod method) {
            super("recording", Map.of(), config);
            this.method = method;
        }

        @Override
        protected TuningMethod newMethod() {
            return method;
        }

        @Override
        public void validate(Model model) {
            // the run's own validate call is the one recorded
        }
    }

}
