package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TuningListener;
import dev.fst.tuning.TuningView;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every tuner keeps, FST included: a failed run leaves the model exactly as it was;
 * the same seed gives the same weights; no tuner can be handed evaluation data; native memory
 * stays flat from run to run.
 */
class TunerContractTest {

    /** One tuner under test: its name and a factory taking extra listeners. */
    record Case(String name, String spec, Function<TuningListener, Purifier> factory, Class<?> type,
            Class<?> builder) {
        @Override
        public String toString() {
            return spec;
        }
    }

    /** Tiny settings per method, as spec options; ANP and I-BAU keep their own rates. */
    private static final Map<String, String> TINY = Map.of(
            "ngf", "epochs=2,batchSize=16,learningRate=0.02,seed=7,covarianceInterval=2,inverseInterval=3,"
                    + "scaleInterval=2",
            // ANP at its own mask rate, allowed to prune up to its maximum, so that the run prunes something
            "anp", "epochs=2,batchSize=16,seed=7,maxAccuracyDrop=1",
            "i-bau", "epochs=2,batchSize=16,learningRate=0.001,seed=7");

    /** Every method of the registry, configured from its spec string. */
    static Stream<Case> tuners() {
        List<Case> cases = new ArrayList<>();
        for (String name : Methods.NAMES) {
            String spec = name + ":" + TINY.getOrDefault(name, "epochs=2,batchSize=16,learningRate=0.02,seed=7");
            Function<TuningListener, Purifier> factory =
                    l -> Methods.parse(spec, b -> {
                        if (l != null) {
                            b.listener(l);
                        }
                    });
            Purifier purifier = factory.apply(null);
            cases.add(new Case(purifier.name(), spec, factory, purifier.getClass(), Methods.builderType(name)));
        }
        return cases.stream();
    }

    private static final int IMAGES = 48;

    @ParameterizedTest(name = "{0}")
    @MethodSource("tuners")
    void failedRun_leavesTheModelExactlyAsItWas(Case tuner) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Map<String, float[]> before = Snapshots.parameters(model);
            TuningListener failing = new TuningListener() {
                @Override
                public void onBatchEnd(TuningView run) {
                    if (run.epoch() == 2 && run.batch() == 2) {
                        throw new IllegalStateException("stop here");
                    }
                }
            };
            PurificationException e = assertThrows(PurificationException.class,
                    () -> tuner.factory().apply(failing).purify(model, images(data)));
            assertEquals(2, e.epoch());
            Map<String, float[]> after = Snapshots.parameters(model);
            assertEquals(List.of(), Snapshots.changed(before, after), "every parameter and BN statistic restored");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tuners")
    void sameSeed_givesTheSameWeights(Case tuner) {
        Map<String, float[]> first = run(tuner);
        Map<String, float[]> second = run(tuner);
        for (Map.Entry<String, float[]> entry : first.entrySet()) {
            assertArrayEquals(entry.getValue(), second.get(entry.getKey()), entry.getKey());
        }
        try (Model model = TestModels.cnn(4, 8, 3)) {
            assertFalse(Snapshots.changed(Snapshots.parameters(model), first).isEmpty(), "the run changed the model");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tuners")
    void noTunerCanBeHandedEvaluationData(Case tuner) throws Exception {
        // the only entry point that takes data is Purifier.purify(model, tuningData)
        List<Method> dataMethods = new ArrayList<>();
        for (Class<?> type : List.of(tuner.type(), tuner.builder())) {
            for (Method method : type.getMethods()) {
                for (Class<?> parameter : method.getParameterTypes()) {
                    if (carriesData(parameter)) {
                        dataMethods.add(method);
                    }
                }
            }
        }
        assertEquals(1, dataMethods.size(), "data-taking methods: " + dataMethods);
        Method purify = dataMethods.get(0);
        assertEquals("purify", purify.getName());
        assertEquals(2, purify.getParameterCount());
        assertEquals(Purifier.class.getMethod("purify", Model.class,
                ai.djl.training.dataset.RandomAccessDataset.class).getName(), purify.getName());
    }

    private static boolean carriesData(Class<?> type) {
        Class<?> t = type.isArray() ? type.getComponentType() : type;
        return Dataset.class.isAssignableFrom(t) || NDArray.class.isAssignableFrom(t)
                || NDList.class.isAssignableFrom(t) || Collection.class.isAssignableFrom(t)
                || Iterable.class.isAssignableFrom(t) || java.nio.file.Path.class.isAssignableFrom(t);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tuners")
    void nativeMemoryStaysFlat(Case tuner) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            Purifier purifier = tuner.factory().apply(null);
            int before = arrays(model);
            PurificationResult result = purifier.purify(model, images(data));
            int afterOne = arrays(model);
            purifier.purify(model, images(data));
            purifier.purify(model, images(data));
            int afterThree = arrays(model);
            assertEquals(before, afterOne, "a run leaves no array behind in the model's manager");
            assertEquals(afterOne, afterThree, "flat from run to run");
            assertTrue(result.epochs().size() == 2);
        }
    }

    private static int arrays(Model model) {
        return ((BaseNDManager) model.getNDManager()).getManagedArrays().size();
    }

    private static Map<String, float[]> run(Case tuner) {
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            tuner.factory().apply(null).purify(model, images(data));
            return Snapshots.parameters(model);
        }
    }

    private static ai.djl.training.dataset.RandomAccessDataset images(NDManager data) {
        return SyntheticImages.generate(IMAGES, 4, 8, 5).dataset(data);
    }
}
