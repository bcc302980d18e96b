package dev.fst.lab;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.fst.data.Augmentation;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.lab.attack.Attack;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.attack.LabelConsistent;
import dev.fst.lab.data.LabData;
import dev.fst.lab.data.LabeledImages;
import dev.fst.lab.data.SampleGrid;
import dev.fst.lab.data.SyntheticCifar;
import dev.fst.lab.model.Architecture;
import dev.fst.lab.train.BackdoorTrainer;
import dev.fst.tuning.TuningListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures how hard the synthetic dataset is and draws it: writes a grid of samples per class and a
 * row of one image under every attack's trigger, then trains the listed models on clean synthetic
 * data and prints their clean test accuracy. The numbers in {@code docs/lab.md} come from this
 * program.
 *
 * <p>Options: {@code --train N} (default 50000), {@code --test N} (10000), {@code --epochs N} (15),
 * {@code --lr X} (the deep models' training rate, default BackdoorTrainer's 0.1), {@code --models LIST}
 * (comma-separated architecture names and/or {@code linear}, a softmax
 * regression on raw pixels; default {@code linear,small-cnn}), {@code --seed N} (1), {@code --docs
 * DIR} (where the pictures go, default {@code docs}).
 */
public final class DatasetReport {

    private DatasetReport() {}

    /** The options. */
    @Command(mixinStandardHelpOptions = true, name = "dataset-report", sortOptions = false, description = "How hard the lab's synthetic data is.")
    private static final class Args {
        @Option(names = "--train", paramLabel = "N", description = "default 50000")
        int train = 50_000;
        @Option(names = "--test", paramLabel = "N", description = "default 10000")
        int test = 10_000;
        @Option(names = "--epochs", paramLabel = "N", description = "default 15")
        int epochs = 15;
        @Option(names = "--models", paramLabel = "LIST", description = "default linear,small-cnn")
        String models = "linear,small-cnn";
        @Option(names = "--seed", paramLabel = "N", description = "default 1")
        long seed = 1;
        @Option(names = "--lr", paramLabel = "X", description = "default: the model's")
        Double lr;
        @Option(names = "--docs", paramLabel = "DIR", description = "where the pictures go (default docs)")
        Path docs = Path.of("docs");
    }

    /**
     * Runs the report.
     *
     * @param args see the class documentation
     * @throws IOException if a picture cannot be written
     */
    public static void main(String[] args) throws IOException {
        Args a = OptionParsing.parse(new Args(), args);
        int train = a.train;
        int test = a.test;
        int epochs = a.epochs;
        long seed = a.seed;
        Double lr = a.lr;
        String models = a.models;
        Path docs = a.docs;
        long start = System.nanoTime();
        LabData data = SyntheticCifar.generate(train, test, seed);
        System.out.printf("generated %d + %d images in %.1f s%n", train, test, (System.nanoTime() - start) / 1e9);
        SampleGrid.write(data.train(), 10, 3, docs.resolve("lab-samples.png"));
        SampleGrid.write(attackGallery(data.test()), 8, 4, docs.resolve("lab-attacks.png"));
        System.out.println("wrote " + docs.resolve("lab-samples.png") + " and " + docs.resolve("lab-attacks.png"));
        List<String> rows = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            for (String name : models.split(",")) {
                try (Model model = "linear".equals(name) ? linear(seed) : Architecture.of(name).newModel(10, 32, seed)) {
                    BackdoorTrainer.Builder b = BackdoorTrainer.builder().epochs(epochs).seed(seed)
                            .listener(TuningListener.progressBar());
                    // softmax regression on raw pixels: no augmentation, a smaller step
                    BackdoorTrainer trainer = "linear".equals(name)
                            ? b.learningRate(0.01).augmentation(Augmentation.none()).build() : lr != null ? b.learningRate(lr).build() : b.build();
                    dev.fst.tuning.TrainingResult run = trainer.train(model, data.train());
                    Rate accuracy = Evaluator.accuracy(model, data.test().toDataset(manager));
                    Rate trainAccuracy = Evaluator.accuracy(model, data.train().select(
                            java.util.stream.IntStream.range(0, Math.min(train, 10_000)).toArray()).toDataset(manager));
                    rows.add(String.format("| %s | %d | %d | %.2f%% | %.2f%% | %.0f s |", name, train, epochs,
                            trainAccuracy.percent(), accuracy.percent(), run.wallTime().toMillis() / 1000.0));
                }
            }
        }
        System.out.println("| model | training images | epochs | train accuracy | test accuracy | training time |");
        System.out.println("|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    /** Softmax regression on the raw pixels, shaped Sequential[flatten, Linear]. */
    private static Model linear(long seed) {
        Model model = Model.newInstance("linear", "PyTorch");
        SequentialBlock block = new SequentialBlock()
                .add(new SequentialBlock().add(Blocks.batchFlattenBlock()))
                .add(Linear.builder().setUnits(10).build());
        model.setBlock(block);
        ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return model;
    }

    /**
     * One row per test image of classes 1..8, columns: clean, then every attack's test trigger (LC
     * without its PGD step, which only touches training images).
     */
    private static LabeledImages attackGallery(LabeledImages test) {
        List<Attack> attacks = new ArrayList<>();
        for (String name : Attacks.NAMES) {
            attacks.add(Attacks.needsSurrogate(name) ? new LabelConsistent(null, 0, 0, 1, 0) : Attacks.create(name, 0, null));
        }
        int rows = 4;
        LabeledImages picked = test.select(java.util.stream.IntStream.range(1, 1 + rows).toArray());
        List<LabeledImages> columns = new ArrayList<>();
        columns.add(picked);
        for (Attack attack : attacks) {
            columns.add(attack.triggeredTestSet(picked));
        }
        // lay the images out so that SampleGrid's "one row per label" puts each source image in a row
        int cols = columns.size();
        int[] indices = new int[rows * cols];
        List<int[]> images = new ArrayList<>();
        int[] labels = new int[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                indices[r * cols + c] = r * cols + c;
                images.add(columns.get(c).image(r));
                labels[r * cols + c] = r;
            }
        }
        LabeledImages canvas = test.select(new int[rows * cols]);
        return canvas.replace(indices, images, labels);
    }
}
