package dev.fst.lab;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.common.base.Stopwatch;
import dev.fst.baselines.FineTuner;
import dev.fst.eval.Evaluator;
import dev.fst.eval.RetuningAttack;
import dev.fst.baselines.FineTuner;
import dev.fst.head.ClassifierHead;
import dev.fst.head.HeadLayer;
import dev.fst.head.HeadSelector;
import dev.fst.head.NormProjection;
import dev.fst.eval.Rate;
import dev.fst.lab.attack.Attack;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.attack.PoisonedSet;
import dev.fst.lab.data.DataSource;
import dev.fst.lab.data.HeldOutSplit;
import dev.fst.lab.data.LabData;
import dev.fst.lab.data.LabeledImages;
import dev.fst.lab.train.BackdoorRecord;
import dev.fst.lab.train.BackdoorTrainer;
import dev.fst.lab.train.ModelStore;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningListener;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The backdoor lab's main job: loads or generates the data, holds out a clean tuning set, poisons
 * the rest with an attack, trains the backdoored model (or reuses it from the {@link ModelStore}),
 * purifies copies of it with vanilla fine-tuning and with FST, and prints clean accuracy and attack
 * success rate before and after.
 *
 * <p>Run from the repository root: {@code mvn -q -B -DskipTests install && mvn -q -B -pl
 * fst-examples exec:java}; options after {@code -Dexec.args="..."} (see {@link LabOptions#usage()}).
 */
public final class BackdoorLab {

    /** The line printed when Fashion-MNIST is missing and the lab runs on its synthetic data. */
    public static final String SYNTHETIC_BANNER = "no Fashion-MNIST in " + dev.fst.lab.data.IdxDataset.FASHION_MNIST_DIR
            + " (install it with: sudo apt-get install dataset-fashion-mnist); running on the lab's synthetic"
            + " images instead";

    private BackdoorLab() {}

    /**
     * One row of the before/after table.
     *
     * @param method the method's name, {@code none (backdoored)} for the model as trained
     * @param cleanAccuracy accuracy on the clean test set
     * @param attackSuccessRate target-class predictions on triggered non-target test images
     * @param seconds tuning wall time (0 for none)
     * @param failure {@code null} when the method succeeded; else why it failed (its model was
     *     restored, and the two rates are {@code null})
     */
    public record Row(String method, Rate cleanAccuracy, Rate attackSuccessRate, Rate robustAccuracy,
            Rate postPurificationAsr, double seconds, String failure) {

        /**
         * A row of a method that succeeded, or of the backdoored model.
         *
         * @param method the method's name
         * @param cleanAccuracy accuracy on the clean test set
         * @param attackSuccessRate target-class predictions on triggered non-target test images
         * @param robustAccuracy true-class predictions on the same triggered images
         * @param postPurificationAsr the attack success rate after the retuning attack ({@code
         *     --retune-check}), or {@code null} when it was not run
         * @param seconds tuning wall time
         */
        public Row(String method, Rate cleanAccuracy, Rate attackSuccessRate, Rate robustAccuracy,
                Rate postPurificationAsr, double seconds) {
            this(method, cleanAccuracy, attackSuccessRate, robustAccuracy, postPurificationAsr, seconds, null);
        }

        /**
         * Returns whether the method failed.
         *
         * @return true if it failed
         */
        public boolean failed() {
            return failure != null;
        }
    }

    /**
     * What a run did.
     *
     * @param options the settings
     * @param backdoor the backdoored model's record
     * @param reused whether the model came from the store rather than being trained now
     * @param rows none, FT, FST
     * @param seconds the whole run's wall time
     */
    public record Report(LabOptions options, BackdoorRecord backdoor, boolean reused, List<Row> rows, double seconds) {

        /**
         * Formats the before/after table as Markdown.
         *
         * @return the table
         */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append("| defense | clean accuracy | attack success rate | robust accuracy | DER | P-ASR | tuning time |\n");
            sb.append("|---|---|---|---|---|---|---|\n");
            Row none = rows.get(0);
            for (Row row : rows) {
                if (row.failed()) {
                    sb.append(String.format("| %s | failed: %s | | | | | %.1f s |%n", row.method(), row.failure(),
                            row.seconds()));
                } else {
                    String der = row == none ? "—" : String.format(java.util.Locale.ROOT, "%.4f",
                            dev.fst.eval.DefenseEffectiveness.rating(none.attackSuccessRate(), row.attackSuccessRate(),
                                    none.cleanAccuracy(), row.cleanAccuracy()));
                    String pAsr = row.postPurificationAsr() == null ? "—"
                            : String.format("%.2f%%", row.postPurificationAsr().percent());
                    sb.append(String.format("| %s | %.2f%% | %.2f%% | %.2f%% | %s | %s | %.1f s |%n", row.method(),
                            row.cleanAccuracy().percent(), row.attackSuccessRate().percent(),
                            row.robustAccuracy().percent(), der, pAsr, row.seconds()));
                }
            }
            return sb.toString();
        }
    }

    /**
     * Runs the lab from the command line; exit status 2 for bad options or data.
     *
     * @param args see {@link LabOptions#usage()}
     */
    public static void main(String[] args) {
        Report report;
        try {
            if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
                System.out.println(LabOptions.usage());
                return;
            }
            report = run(LabOptions.parse(args), System.out);
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println();
        System.out.println(report.table());
        System.out.printf("total %.0f s%n", report.seconds());
    }

    /**
     * Runs the lab.
     *
     * @param o the settings
     * @param out where progress goes
     * @return the report
     * @throws IOException if the data cannot be read (the message names the file)
     */
    public static Report run(LabOptions o, PrintStream out) throws IOException {
        Stopwatch total = Stopwatch.createStarted();
        if (o.syntheticFallback()) {
            out.println(SYNTHETIC_BANNER);
        }
        out.printf("data: %s%n", o.data());
        return run(o, out, load(o), total);
    }

    /**
     * Runs the lab on data already loaded with {@link #load}, so that several runs over the same
     * data (a benchmark grid, the figures) read or generate it once.
     *
     * @param o the settings
     * @param out where progress goes
     * @param data the data {@code load(o)} returns for these settings
     * @return the report
     * @throws IOException if the model store cannot be read or written
     */
    public static Report run(LabOptions o, PrintStream out, LabData data) throws IOException {
        return run(o, out, data, Stopwatch.createStarted());
    }

    /**
     * Loads (or generates) the data the settings name: {@code --data} with the synthetic sizes
     * and the seed.
     *
     * @param o the settings
     * @return the training and test images
     * @throws IOException if the data cannot be read (the message names the file)
     */
    public static LabData load(LabOptions o) throws IOException {
        return DataSource.load(o.data(), o.syntheticTrain(), o.syntheticTest(), o.seed());
    }

    private static Report run(LabOptions o, PrintStream out, LabData data, Stopwatch total) throws IOException {
        HeldOutSplit split = HeldOutSplit.of(data.train(), o.tuneCount(data.train().size(), data.train().classes()), o.train(), o.seed());
        out.printf("  train %s%n  test %s%n  tuning set (held out, clean) %d images, backdoor training set %d images%n",
                data.train(), data.test(), split.tuning().size(), split.training().size());
        ModelStore store = new ModelStore(o.cache());
        String base = String.join("|", o.model().id(), data.source(), Integer.toString(data.train().size()),
                Integer.toString(split.training().size()), Integer.toString(split.tuning().size()), Integer.toString(o.epochs()),
                Double.toString(o.learningRate()), o.augment(), Long.toString(o.seed()));
        Model surrogate = null;
        try (NDManager manager = NDManager.newBaseManager(o.device(), "PyTorch")) {
            RandomAccessDataset test = data.test().toDataset(manager);
            if (Attacks.needsSurrogate(o.attack())) {
                out.println("training the clean surrogate model the lc attack crafts its perturbations against");
                surrogate = obtain(o, store, base + "|none", split.training(), null, test, null, manager, out).model;
            }
            Attack attack = Attacks.create(o.attack(), o.target(), surrogate);
            PoisonedSet poisoned = attack.poison(split.training(), o.rate(), o.seed());
            out.printf("attack: %s, rate %s -> %d poisoned images%s, target class %d (%s)%n", attack.name(), o.rate(),
                    poisoned.poisoned().length,
                    poisoned.cover().length > 0 ? " + " + poisoned.cover().length + " cover images" : "", o.target(),
                    data.train().classNames().get(o.target()));
            RandomAccessDataset triggered = attack.triggeredTestSet(data.test()).toDataset(manager);
            // the poisoned indices are part of the key, so a change of selection never reuses a stale model
            String key = base + "|" + attack.name() + "|" + o.rate() + "|" + o.target() + "|"
                    + Arrays.hashCode(poisoned.poisoned());
            Obtained backdoored = obtain(o, store, key, poisoned.images(), poisoned, test, triggered, manager, out);
            BackdoorRecord record = backdoored.record;
            List<Row> rows = new ArrayList<>();
            try (Model model = backdoored.model) {
                out.printf("head of the backdoored model: %s%n", headNorms(model));
                // a model trained in this run was measured right after training; a stored one is measured now
                Rate clean = backdoored.clean != null ? backdoored.clean : Evaluator.accuracy(model, test);
                Rate asr = backdoored.asr != null ? backdoored.asr
                        : Evaluator.attackSuccessRate(model, triggered, o.target());
                rows.add(new Row("none (backdoored)", clean, asr,
                        Evaluator.robustAccuracy(model, triggered, o.target()), null, 0));
            }
            RandomAccessDataset tuning = split.tuning().toDataset(manager);
            // the retuning attack's pool, made once for every method and reference row
            RandomAccessDataset pool = o.retuneCheck() || o.referenceRows()
                    ? retuningImages(attack, split.training(), manager) : null;
            for (Purifier purifier : purifiers(o)) {
                out.printf("purifying with %s on %d clean images%n", purifier.name(), split.tuning().size());
                try (Model model = store.load(record, data.train().classes(), data.train().channels(), data.train().height(), o.device())) {
                    Stopwatch clock = Stopwatch.createStarted();
                    PurificationResult result;
                    try {
                        result = purifier.purify(model, tuning);
                    } catch (PurificationException e) {
                        // one method's failure (a NaN loss, say) is a result of the comparison, not its end
                        out.printf("%s failed: %s%n", purifier.name(), e.getMessage());
                        rows.add(new Row(purifier.name(), null, null, null, null,
                                clock.elapsed(TimeUnit.MILLISECONDS) / 1000.0, e.getMessage()));
                        continue;
                    }
                    if (!result.details().isEmpty()) {
                        out.printf("%s decided: %s%n", purifier.name(), result.details());
                    }
                    Rate pAsr = null;
                    if (o.retuneCheck()) {
                        // the follow-up's retuning attack: 5 of the defender's tuning images replaced by
                        // triggered training images relabelled to the target
                        pAsr = RetuningAttack.builder().seed(o.seed()).build().evaluate(model, tuning,
                                pool, o.target(), test, triggered).pAsr();
                    }
                    rows.add(new Row(purifier.name(), Evaluator.accuracy(model, test),
                            Evaluator.attackSuccessRate(model, triggered, o.target()),
                            Evaluator.robustAccuracy(model, triggered, o.target()), pAsr,
                            result.wallTime().toMillis() / 1000.0));
                }
            }
            if (o.referenceRows()) {
                out.println("reference row: the model trained without the backdoor, then retuned (the floor)");
                try (Model clean = obtain(o, store, base + "|none", split.training(), null, test, null, manager, out)
                        .model()) {
                    rows.add(new Row("clean model (floor)", Evaluator.accuracy(clean, test),
                            Evaluator.attackSuccessRate(clean, triggered, o.target()),
                            Evaluator.robustAccuracy(clean, triggered, o.target()), RetuningAttack.builder()
                                    .seed(o.seed()).build().evaluate(clean, tuning, pool, o.target(), test, triggered)
                                    .pAsr(), 0));
                }
                out.printf("reference row: exact purification, FT on the %d training images with the poisoned ones"
                        + " labelled correctly, %d epochs%n", poisoned.images().size(), EXACT_PURIFICATION_EPOCHS);
                try (Model model = store.load(record, data.train().classes(), data.train().channels(),
                        data.train().height(), o.device()); NDManager scope = manager.newSubManager()) {
                    PurificationResult result = BackdoorLab.common(FineTuner.builder(), o).heldOutFraction(0)
                            .epochs(EXACT_PURIFICATION_EPOCHS).learningRate(o.tuneLearningRate()).build()
                            .purify(model, correctlyLabelled(poisoned, split.training()).toDataset(scope));
                    rows.add(new Row("exact purification", Evaluator.accuracy(model, test),
                            Evaluator.attackSuccessRate(model, triggered, o.target()),
                            Evaluator.robustAccuracy(model, triggered, o.target()), RetuningAttack.builder()
                                    .seed(o.seed()).build().evaluate(model, tuning, pool, o.target(), test, triggered)
                                    .pAsr(), result.wallTime().toMillis() / 1000.0));
                }
            }
            return new Report(o, record, backdoored.reused, rows, total.elapsed(TimeUnit.MILLISECONDS) / 1000.0);
        } finally {
            if (surrogate != null) {
                surrogate.close();
            }
        }
    }

    /** Epochs of the exact-purification reference row (fine-tuning on the whole corrected training set). */
    static final int EXACT_PURIFICATION_EPOCHS = 2;

    /** The attacker's training set with every poisoned image labelled with its true class again. */
    private static LabeledImages correctlyLabelled(PoisonedSet poisoned, LabeledImages clean) {
        int[] labels = poisoned.images().labels();
        for (int index : poisoned.poisoned()) {
            if (index < clean.size()) {
                labels[index] = clean.label(index);
            }
        }
        return poisoned.images().relabel(labels);
    }

    /** Triggered copies of the first 200 training images, the pool the retuning attack draws from. */
    private static RandomAccessDataset retuningImages(Attack attack, LabeledImages training, NDManager manager) {
        int n = Math.min(200, training.size());
        return attack.triggeredTestSet(training.select(java.util.stream.IntStream.range(0, n).toArray()))
                .toDataset(manager);
    }

    /** Names and Frobenius norms of the head's weights: FST's penalty reaches -alpha * sum ||W0||^2. */
    static String headNorms(Model model) {
        ClassifierHead head = HeadSelector.auto().select(model.getBlock());
        List<String> parts = new ArrayList<>();
        for (HeadLayer layer : head.layers()) {
            parts.add(String.format("%s ||W0|| = %.3f", layer.name(), NormProjection.frobenius(layer.weight().getArray())));
        }
        return String.join(", ", parts);
    }

    private static List<Purifier> purifiers(LabOptions o) {
        List<Purifier> list = new ArrayList<>();
        for (String name : o.methods()) {
            list.add(LabMethods.create(name, o));
        }
        return list;
    }

    /** Seed, device (when given) and a progress bar: what every run of the lab shares. */
    static <B extends TunerBuilder<B>> B common(B builder, LabOptions o) {
        builder.seed(o.seed()).listener(TuningListener.progressBar());
        return o.device() == null ? builder : builder.device(o.device());
    }

    /** A model with its record; {@code clean} and {@code asr} are set when it was trained (and measured) now. */
    private record Obtained(Model model, BackdoorRecord record, boolean reused, Rate clean, Rate asr) {}

    /** Loads the model from the store, or trains, measures and saves it. */
    private static Obtained obtain(LabOptions o, ModelStore store, String description, LabeledImages training,
            PoisonedSet poisoned, RandomAccessDataset test, RandomAccessDataset triggered, NDManager manager,
            PrintStream out) {
        String key = ModelStore.key(description);
        int classes = training.classes();
        Optional<BackdoorRecord> saved = o.retrain() ? Optional.empty() : store.find(key);
        if (saved.isPresent()) {
            BackdoorRecord r = saved.get();
            out.printf("reusing the trained %s from %s (clean accuracy %.2f%%, ASR %.2f%%, trained in %.0f s on %s)%n",
                    r.architecture(), store.root().resolve(key), 100 * r.cleanAccuracy(), 100 * r.attackSuccessRate(),
                    r.trainingSeconds(), r.createdAt());
            return new Obtained(store.load(r, classes, training.channels(), training.height(), o.device()), r, true, null, null);
        }
        out.printf("training %s on %d images for %d epochs (lr %s)%n", o.model().id(), training.size(), o.epochs(),
                o.learningRate());
        Model model = o.model().newModel(classes, training.channels(), training.height(), o.seed(), o.device());
        try {
            dev.fst.tuning.TrainingResult run = common(BackdoorTrainer.builder(), o).epochs(o.epochs())
                    .learningRate(o.learningRate()).augmentation(o.trainingAugmentation()).build().train(model, training);
            Rate clean = Evaluator.accuracy(model, test);
            Rate asr = triggered == null ? new Rate(0, 1) : Evaluator.attackSuccessRate(model, triggered, o.target());
            BackdoorRecord record = new BackdoorRecord(key, o.model().id(), o.data(),
                    poisoned == null ? "none" : poisoned.attack(), poisoned == null ? 0 : poisoned.rate(), o.target(),
                    training.size(), poisoned == null ? 0 : poisoned.poisoned().length, o.epochs(), o.learningRate(),
                    o.seed(), clean.value(), asr.value(), run.wallTime().toMillis() / 1000.0, Instant.now(),
                    dev.fst.internal.Environment.versions(Engine.getInstance()));
            store.save(model, record);
            out.printf("trained in %.0f s: clean accuracy %s%s; saved to %s%n", record.trainingSeconds(), clean,
                    triggered == null ? " (clean model)" : ", ASR " + asr, store.root().resolve(key));
            return new Obtained(model, record, false, clean, triggered == null ? null : asr);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
