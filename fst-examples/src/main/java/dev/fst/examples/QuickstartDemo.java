package dev.fst.examples;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import dev.fst.FeatureShiftTuner;
import dev.fst.baselines.FineTuner;
import dev.fst.data.Augmentation;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningListener;
import dev.fst.tuning.TuningLoop;
import dev.fst.tuning.TuningMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The quick-start demo: trains a small CNN on synthetic 12x12 images of four classes with a
 * BadNet-style 2x2 white corner patch planted in one of every ten non-target training images
 * (relabelled to class 0), then purifies copies of that backdoored model with vanilla fine-tuning
 * and with FST on a small clean set, and prints clean accuracy (C-Acc) and attack success rate
 * (ASR) before and after.
 *
 * <p>Run: {@code mvn -q -B -DskipTests install && mvn -q -B -pl fst-examples exec:java}. Arguments:
 * {@code --train N} (default 1200), {@code --tune N} (default 400), {@code --test N} (default
 * 400), {@code --epochs N} (FST and FT epochs, default 10), {@code --seed N} (default 1).
 */
public final class QuickstartDemo {

    private static final int TARGET = 0;
    private static final int CLASSES = 4;
    private static final int SIZE = 12;

    private QuickstartDemo() {}

    /** Sizes and seed of one demo run. */
    public record Options(int train, int tune, int test, int epochs, long seed) {
        /** Validates the sizes. */
        public Options {
            Preconditions.checkArgument(train >= 40, "--train must be >= 40 but was %s", train);
            Preconditions.checkArgument(tune >= 8, "--tune must be >= 8 but was %s", tune);
            Preconditions.checkArgument(test >= 8, "--test must be >= 8 but was %s", test);
            Preconditions.checkArgument(epochs >= 1, "--epochs must be >= 1 but was %s", epochs);
        }

        static Options parse(String[] args) {
            int train = 1200;
            int tune = 400;
            int test = 400;
            int epochs = 10;
            long seed = 1;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                Preconditions.checkArgument(i + 1 < args.length, "%s needs a value", flag);
                String value = args[++i];
                switch (flag) {
                    case "--train" -> train = Integer.parseInt(value);
                    case "--tune" -> tune = Integer.parseInt(value);
                    case "--test" -> test = Integer.parseInt(value);
                    case "--epochs" -> epochs = Integer.parseInt(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    default -> throw new IllegalArgumentException(
                            "unknown option " + flag + "; use --train, --tune, --test, --epochs, --seed");
                }
            }
            return new Options(train, tune, test, epochs, seed);
        }
    }

    /** One row of the before/after table. */
    public record Row(String defense, Rate cleanAccuracy, Rate attackSuccessRate, double seconds) {}

    /**
     * Runs the demo from the command line.
     *
     * @param args see the class documentation
     */
    public static void main(String[] args) {
        List<Row> rows;
        try {
            rows = run(Options.parse(args));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println(table(rows));
    }

    /**
     * Runs the demo and returns the table rows: no defense, FT, FST.
     *
     * @param options sizes and seed
     * @return one row per defense
     */
    public static List<Row> run(Options options) {
        SyntheticImages test = SyntheticImages.generate(options.test(), CLASSES, SIZE, options.seed() + 100);
        SyntheticImages clean = SyntheticImages.generate(options.tune(), CLASSES, SIZE, options.seed() + 200);
        List<Row> rows = new ArrayList<>();
        // no flips or crops: these synthetic classes are defined by where the blob is
        Purifier ft = FineTuner.builder().epochs(options.epochs()).learningRate(0.03).batchSize(32)
                .augmentation(Augmentation.none()).seed(options.seed()).build();
        Purifier fst = FeatureShiftTuner.builder().alpha(0.2).epochs(options.epochs()).learningRate(0.03)
                .batchSize(32).augmentation(Augmentation.none()).seed(options.seed())
                .listener(TuningListener.progressBar()).build();
        for (Purifier defense : new Purifier[] {null, ft, fst}) {
            try (Model model = backdooredModel(options); NDManager data = NDManager.newBaseManager("PyTorch")) {
                double seconds = 0;
                if (defense != null) {
                    PurificationResult result = defense.purify(model, clean.dataset(data));
                    seconds = result.wallTime().toMillis() / 1000.0;
                }
                rows.add(new Row(
                        defense == null ? "none (backdoored)" : defense.name(),
                        Evaluator.accuracy(model, test.dataset(data)),
                        Evaluator.attackSuccessRate(model, test.triggered().dataset(data), TARGET),
                        seconds));
            }
        }
        return rows;
    }

    /** Trains the same backdoored CNN every time (seeded), so each defense starts from it. */
    private static Model backdooredModel(Options options) {
        Model model = TestModels.cnn(CLASSES, SIZE, (int) options.seed());
        SyntheticImages train = SyntheticImages.generate(options.train(), CLASSES, SIZE, options.seed()).poison(10, TARGET);
        TuningConfig training = new Training().epochs(12).learningRate(0.05).batchSize(64)
                .augmentation(Augmentation.none()).seed(options.seed()).config();
        try (NDManager data = NDManager.newBaseManager("PyTorch")) {
            TuningLoop.run("backdoor training", Map.of(), model, train.dataset(data), training, new TuningMethod() {});
        }
        return model;
    }

    /**
     * Formats rows as a Markdown table.
     *
     * @param rows the rows
     * @return the table
     */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| defense | clean accuracy | attack success rate | tuning time |\n");
        sb.append("|---|---|---|---|\n");
        for (Row row : rows) {
            sb.append(String.format("| %s | %.2f%% | %.2f%% | %.1f s |%n", row.defense(),
                    row.cleanAccuracy().percent(), row.attackSuccessRate().percent(), row.seconds()));
        }
        return sb.toString();
    }

    /** Plain supervised training with the shared loop and options. */
    private static final class Training extends TunerBuilder<Training> {
        Training() {
            super(TuningConfig.paperDefaults());
        }

        @Override
        protected Training self() {
            return this;
        }

        @Override
        protected TuningConfig config() {
            return super.config();
        }
    }
}
