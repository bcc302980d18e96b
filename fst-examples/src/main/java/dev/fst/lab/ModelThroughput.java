package dev.fst.lab;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.fst.lab.model.Architecture;

/**
 * Prints each lab architecture's parameter count and training throughput (forward and backward of
 * a batch of random 32x32 images in training mode): one warm-up batch, then the mean of {@code
 * --batches} timed batches. The numbers in {@code docs/lab.md} come from this program.
 *
 * <p>Options: {@code --batch N} (default 128), {@code --batches N} (default 3), {@code --models
 * LIST} (comma-separated, default all but vgg19-bn).
 */
public final class ModelThroughput {

    private ModelThroughput() {}

    /** The options. */
    @Command(mixinStandardHelpOptions = true, name = "model-throughput", sortOptions = false, description = "Training throughput of the lab's models.")
    private static final class Args {
        @Option(names = "--batch", paramLabel = "N", description = "default 128")
        int batch = 128;
        @Option(names = "--batches", paramLabel = "N", description = "default 3")
        int batches = 3;
        @Option(names = "--models", paramLabel = "LIST", description = "default small-cnn,resnet18,preact-resnet18")
        String models = "small-cnn,resnet18,preact-resnet18";
    }

    /**
     * Runs the measurement.
     *
     * @param args see the class documentation
     */
    public static void main(String[] args) {
        Args a = OptionParsing.parse(new Args(), args);
        int batch = a.batch;
        int batches = a.batches;
        String models = a.models;
        System.out.println("| model | parameters | device | s per batch of " + batch + " | images/s |");
        System.out.println("|---|---|---|---|---|");
        for (String id : models.split(",")) {
            Architecture architecture = Architecture.of(id);
            try (Model model = architecture.newModel(10, 32, 1); NDManager manager = model.getNDManager().newSubManager()) {
                long count = 0;
                for (Parameter p : model.getBlock().getParameters().values()) {
                    if (p.requiresGradient()) {
                        count += p.getArray().size();
                        p.getArray().setRequiresGradient(true);
                    }
                }
                ParameterStore store = new ParameterStore(manager, false);
                long start = 0;
                for (int it = 0; it <= batches; it++) {
                    if (it == 1) {
                        start = System.nanoTime();
                    }
                    try (NDManager scope = manager.newSubManager();
                            GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                        // created in the step's scope, so every result of the step is freed with it
                        NDArray x = scope.randomUniform(0, 1, new Shape(batch, 3, 32, 32));
                        NDArray y = model.getBlock().forward(store, new NDList(x), true).singletonOrThrow();
                        collector.backward(y.sum());
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9 / batches;
                System.out.printf("| %s | %,d | %s | %.3f | %.0f |%n", id, count, manager.getDevice(), seconds,
                        batch / seconds);
            }
        }
    }
}
