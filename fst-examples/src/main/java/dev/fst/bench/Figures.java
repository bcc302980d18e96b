package dev.fst.bench;

import dev.fst.report.Charts;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.AlphaSearch;
import dev.fst.FeatureShiftTuner;
import dev.fst.lab.BackdoorLab;
import dev.fst.lab.LabMethods;
import dev.fst.lab.LabOptions;
import dev.fst.lab.OptionParsing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;
import dev.fst.lab.attack.Attack;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.HeldOutSplit;
import dev.fst.lab.data.LabData;
import dev.fst.lab.data.LabeledImages;
import dev.fst.lab.train.ModelStore;
import dev.fst.report.AlphaChart;
import dev.fst.report.EpochMetrics;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TuningListener;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The benchmark's figures on one lab setting (the lab's options choose attack, rate, model and
 * sizes): tuning curves of every weight-tuning method (clean accuracy and ASR after every epoch,
 * the paper's efficiency figure), FST with and without the projection, alpha sensitivity (0 to 0.5,
 * the paper's algorithm), the automatic alpha of FST's default (held-out clean accuracy of each
 * alpha tried, from its {@link dev.fst.AlphaSearch} record), tuning-set size sensitivity (down to 50 images), and a t-SNE of the penultimate features of clean
 * target-class, clean other-class and triggered images before and after FST (the paper's Figure 3).
 * Each figure is a PNG plus a CSV of its numbers in {@code --out} (default {@code
 * bench-results/figures}).
 *
 * <p>Options: {@code --figures LIST} (default {@code curves,projection,alpha,alpha-search,size,tsne}), {@code --out
 * DIR}; every other option goes to the lab ({@link LabOptions}). The lc attack is not supported
 * here (its trigger needs the surrogate model).
 */
public final class Figures {

    /** The figures this program draws. */
    public static final List<String> NAMES = List.of("curves", "projection", "alpha", "alpha-search", "size", "tsne");

    /** The methods whose curves are drawn: all that tune weights or masks epoch by epoch. */
    static final List<String> CURVE_METHODS = List.of("FT", "LP", "FE-tuning", "FT-init", "FT+SAM", "NGF", "NFT", "FST");

    private Figures() {}

    /**
     * Draws the figures from the command line; exit status 2 for bad options or data.
     *
     * @param args see the class description
     */
    public static void main(String[] args) {
        try {
            run(args, System.out);
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * Draws the figures.
     *
     * @param args see the class description
     * @param out where progress goes
     * @return the files written
     * @throws IOException if data or files cannot be read or written
     */
    public static List<Path> run(String[] args, PrintStream out) throws IOException {
        Args a = OptionParsing.parse(new Args(), args);
        List<String> figures = a.figures != null ? List.of(a.figures.split(",")) : NAMES;
        Path dir = a.out;
        List<String> lab = new ArrayList<>(a.lab);
        for (String f : figures) {
            if (!NAMES.contains(f)) {
                throw new IllegalArgumentException("unknown figure '" + f + "'; use " + String.join(",", NAMES));
            }
        }
        lab.addAll(List.of("--methods", ""));
        LabOptions o = LabOptions.parse(lab.toArray(String[]::new));
        if (Attacks.needsSurrogate(o.attack())) {
            throw new IllegalArgumentException("figures do not support --attack " + o.attack());
        }
        // trains (or finds) the backdoored model exactly as the lab does
        LabData data = BackdoorLab.load(o);
        BackdoorLab.Report report = BackdoorLab.run(o, new PrintStream(OutputStream.nullOutputStream()), data);
        out.printf("backdoored %s: %s%n", o.model().id(), report.table().lines().skip(2).findFirst().orElse(""));
        HeldOutSplit split = HeldOutSplit.of(data.train(), o.tuneCount(data.train().size(), data.train().classes()), o.train(), o.seed());
        Attack attack = Attacks.create(o.attack(), o.target(), null);
        ModelStore store = new ModelStore(o.cache());
        List<Path> written = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(o.device(), "PyTorch")) {
            Setting s = new Setting(o, report, store, data, manager, split.tuning(),
                    data.test().toDataset(manager), attack.triggeredTestSet(data.test()).toDataset(manager), out);
            for (String figure : figures) {
                out.println("figure " + figure);
                switch (figure) {
                    case "curves" -> {
                        Map<String, Function<TuningListener, Purifier>> methods = new LinkedHashMap<>();
                        for (String name : CURVE_METHODS) {
                            // FST's curve is one run: the paper's algorithm, not the default's alpha search
                            methods.put(name, name.equals(FeatureShiftTuner.NAME) ? l -> fst(o, paperAlpha(o), true, l)
                                    : l -> LabMethods.create(name, o, List.of(l)));
                        }
                        written.addAll(curves(s, dir, "curves", methods));
                    }
                    case "projection" -> {
                        Map<String, Function<TuningListener, Purifier>> variants = new LinkedHashMap<>();
                        variants.put("FST with projection", l -> fst(o, paperAlpha(o), true, l));
                        variants.put("FST without projection", l -> fst(o, paperAlpha(o), false, l));
                        written.addAll(curves(s, dir, "projection", variants));
                    }
                    case "alpha" -> {
                        Map<Double, EpochMetrics.Point> points = new LinkedHashMap<>();
                        for (double alpha : new double[] {0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}) {
                            points.put(alpha, last(s, l -> fst(o, alpha, true, l), s.tuning()));
                        }
                        written.addAll(sweep(dir, "alpha", "alpha", points, false));
                    }
                    case "alpha-search" -> written.addAll(alphaSearch(s, dir));
                    case "size" -> {
                        Map<Double, EpochMetrics.Point> points = new LinkedHashMap<>();
                        for (int n : new int[] {1000, 500, 200, 100, 50}) {
                            if (n <= s.tuning().size()) {
                                LabeledImages subset = n == s.tuning().size() ? s.tuning()
                                        : HeldOutSplit.of(s.tuning(), n, 0, o.seed()).tuning();
                                points.put((double) n, last(s, l -> fst(o, paperAlpha(o), true, l), subset));
                            }
                        }
                        written.addAll(sweep(dir, "size", "tuning images", points, true));
                    }
                    case "tsne" -> written.addAll(tsne(s, dir));
                    default -> throw new IllegalStateException(figure);
                }
            }
        }
        written.forEach(p -> out.println("wrote " + p));
        return written;
    }

    /** The program's own options; every other option goes to the lab ({@link LabOptions}). */
    @Command(mixinStandardHelpOptions = true, name = "figures", sortOptions = false, description = "The benchmark's figures on one lab setting, as PNG"
            + " and CSV; other options go to the lab (fst lab --help).", footer = {"", "Examples:",
                "  fst figures --attack badnet --rate 0.01", "  fst figures --figures alpha-search,tsne --out figs"})
    private static final class Args {
        @Option(names = "--figures", paramLabel = "LIST",
                description = "curves,projection,alpha,alpha-search,size,tsne (default all)")
        String figures;
        @Option(names = "--out", paramLabel = "DIR", description = "output folder (default bench-results/figures)")
        Path out = Path.of("bench-results", "figures");
        @Unmatched
        List<String> lab = new ArrayList<>();
    }

    /** Everything a figure needs about the lab setting. */
    private record Setting(LabOptions o, BackdoorLab.Report report, ModelStore store, LabData data, NDManager manager,
            LabeledImages tuning, RandomAccessDataset clean, RandomAccessDataset triggered, PrintStream log) {

        Model freshCopy() {
            return store.load(report.backdoor(), data.train().classes(), data.train().channels(), data.train().height(),
                    o.device());
        }
    }

    /** The alpha of the paper's algorithm in these figures: {@code --alpha}, else the paper's 0.2. */
    private static double paperAlpha(LabOptions o) {
        return o.alpha() != null ? o.alpha() : FeatureShiftTuner.PAPER_ALPHA;
    }

    /** Runs FST's default (automatic alpha) on a fresh copy and draws its search record. */
    private static List<Path> alphaSearch(Setting s, Path dir) throws IOException {
        PurificationResult result;
        try (Model model = s.freshCopy(); NDManager scope = s.manager().newSubManager()) {
            result = LabMethods.create(FeatureShiftTuner.NAME, s.o()).purify(model, s.tuning().toDataset(scope));
        }
        Object record = result.details().get("alphaSearch");
        if (!(record instanceof AlphaSearch search)) {
            throw new IllegalArgumentException("alpha-search needs FST's automatic alpha; drop --alpha");
        }
        Path png = dir.resolve("alpha-search.png");
        Path csv = dir.resolve("alpha-search.csv");
        StringBuilder text = new StringBuilder();
        try (org.apache.commons.csv.CSVPrinter printer = new org.apache.commons.csv.CSVPrinter(text,
                org.apache.commons.csv.CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get())) {
            printer.printRecord("alpha", "scale", "heldOutBefore", "heldOutAfter", "drop", "kept");
            for (AlphaSearch.Trial t : search.trials()) {
                printer.printRecord(t.alpha(), search.scale().name().toLowerCase(Locale.ROOT),
                        String.format(Locale.ROOT, "%.2f", t.check().before().percent()),
                        String.format(Locale.ROOT, "%.2f", t.check().after().percent()),
                        String.format(Locale.ROOT, "%.2f", t.check().drop()), t.alpha() == search.chosen());
            }
        }
        Files.writeString(csv, text, StandardCharsets.UTF_8);
        try (OutputStream stream = Files.newOutputStream(png)) {
            AlphaChart.write(search, result.accuracyCheck().budget(), stream);
        }
        s.log().println(search);
        return List.of(png, csv);
    }

    private static Purifier fst(LabOptions o, double alpha, boolean projection, TuningListener listener) {
        FeatureShiftTuner.Builder b = FeatureShiftTuner.paperBuilder().seed(o.seed()).epochs(o.tuneEpochs())
                .learningRate(o.tuneLearningRate()).alpha(alpha).projection(projection).listener(listener);
        return (o.device() != null ? b.device(o.device()) : b).build();
    }

    /** Purifies a fresh copy of the backdoored model and returns the per-epoch measurements. */
    private static List<EpochMetrics.Point> track(Setting s, Function<TuningListener, Purifier> factory,
            LabeledImages tuning) {
        try (Model model = s.freshCopy(); NDManager scope = s.manager().newSubManager()) {
            EpochMetrics metrics = EpochMetrics.startingFrom(model, s.clean(), s.triggered(), s.o().target());
            factory.apply(metrics).purify(model, tuning.toDataset(scope));
            return metrics.points();
        }
    }

    private static EpochMetrics.Point last(Setting s, Function<TuningListener, Purifier> factory, LabeledImages tuning) {
        List<EpochMetrics.Point> points = track(s, factory, tuning);
        return points.get(points.size() - 1);
    }

    private static List<Path> curves(Setting s, Path dir, String name,
            Map<String, Function<TuningListener, Purifier>> methods) throws IOException {
        Map<String, List<EpochMetrics.Point>> curves = new LinkedHashMap<>();
        StringBuilder csv = new StringBuilder("method,epoch,clean_accuracy,attack_success_rate\n");
        for (Map.Entry<String, Function<TuningListener, Purifier>> entry : methods.entrySet()) {
            List<EpochMetrics.Point> points;
            try {
                points = track(s, entry.getValue(), s.tuning());
            } catch (PurificationException e) {
                // one method's failure (a NaN loss, say) leaves its curve out, not the whole figure
                s.log().printf("%s failed and is left out of %s: %s%n", entry.getKey(), name, e.getMessage());
                continue;
            }
            curves.put(entry.getKey(), points);
            points.forEach(p -> csv.append(String.format("%s,%d,%.4f,%.4f%n", entry.getKey(), p.epoch(),
                    p.cleanAccuracy(), p.attackSuccessRate())));
        }
        Files.createDirectories(dir);
        Path table = dir.resolve(name + ".csv");
        Files.writeString(table, csv, StandardCharsets.UTF_8);
        Path asr = dir.resolve(name + "-asr.png");
        Path acc = dir.resolve(name + "-accuracy.png");
        String setting = s.o().attack() + " " + s.o().rate() + ", " + s.o().model().id();
        Charts.line(asr, "Attack success rate per epoch (" + setting + ")", "epoch", "ASR %",
                EpochMetrics.series(curves, true), false);
        Charts.line(acc, "Clean accuracy per epoch (" + setting + ")", "epoch", "clean accuracy %",
                EpochMetrics.series(curves, false), false);
        return List.of(table, asr, acc);
    }

    /** Points per group in the t-SNE figure. */
    static final int TSNE_POINTS = 200;

    private static List<Path> tsne(Setting s, Path dir) throws IOException {
        LabeledImages test = s.data().test();
        int target = s.o().target();
        int[] targetClass = java.util.Arrays.stream(test.indicesWhereLabel(target, true)).limit(TSNE_POINTS).toArray();
        int[] others = java.util.Arrays.stream(test.indicesWhereLabel(target, false)).limit(TSNE_POINTS).toArray();
        LabeledImages triggered = Attacks.create(s.o().attack(), target, null)
                .triggeredTestSet(test.select(others));
        List<LabeledImages> groups = List.of(test.select(targetClass), test.select(others), triggered);
        List<String> names = List.of("clean, target class", "clean, other classes", "triggered");
        StringBuilder csv = new StringBuilder("model,group,x,y\n");
        List<Path> files = new ArrayList<>();
        Files.createDirectories(dir);
        try (Model model = s.freshCopy()) {
            for (String stage : List.of("before", "after FST")) {
                if (stage.startsWith("after")) {
                    try (NDManager scope = s.manager().newSubManager()) {
                        fst(s.o(), paperAlpha(s.o()), true, new TuningListener() {}).purify(model, s.tuning().toDataset(scope));
                    }
                }
                List<double[]> features = new ArrayList<>();
                int[] sizes = new int[groups.size()];
                for (int g = 0; g < groups.size(); g++) {
                    List<double[]> f = Features.penultimate(model, groups.get(g), s.manager());
                    sizes[g] = f.size();
                    features.addAll(f);
                }
                double[][] y = new Tsne(30, 750, s.o().seed()).embed(features.toArray(double[][]::new));
                Map<String, double[][]> series = new LinkedHashMap<>();
                int offset = 0;
                for (int g = 0; g < groups.size(); g++) {
                    double[] xs = new double[sizes[g]];
                    double[] ys = new double[sizes[g]];
                    for (int i = 0; i < sizes[g]; i++) {
                        xs[i] = y[offset + i][0];
                        ys[i] = y[offset + i][1];
                        csv.append(String.format("%s,%s,%.4f,%.4f%n", stage, names.get(g), xs[i], ys[i]));
                    }
                    series.put(names.get(g), new double[][] {xs, ys});
                    offset += sizes[g];
                }
                Path png = dir.resolve("tsne-" + (stage.equals("before") ? "before" : "after") + ".png");
                Charts.scatter(png, "t-SNE of penultimate features, " + stage + " (" + s.o().attack() + " "
                        + s.o().rate() + ")", series);
                files.add(png);
            }
        }
        Path table = dir.resolve("tsne.csv");
        Files.writeString(table, csv, StandardCharsets.UTF_8);
        files.add(table);
        return files;
    }

    private static List<Path> sweep(Path dir, String name, String xLabel, Map<Double, EpochMetrics.Point> points,
            boolean logX) throws IOException {
        StringBuilder csv = new StringBuilder(name + ",clean_accuracy,attack_success_rate\n");
        points.forEach((x, p) -> csv.append(String.format("%s,%.4f,%.4f%n", x, p.cleanAccuracy(), p.attackSuccessRate())));
        Files.createDirectories(dir);
        Path table = dir.resolve(name + ".csv");
        Files.writeString(table, csv, StandardCharsets.UTF_8);
        double[] x = points.keySet().stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("clean accuracy", new double[][] {x, points.values().stream()
                .mapToDouble(p -> 100 * p.cleanAccuracy()).toArray()});
        series.put("ASR", new double[][] {x, points.values().stream()
                .mapToDouble(p -> 100 * p.attackSuccessRate()).toArray()});
        Path png = dir.resolve(name + ".png");
        Charts.line(png, "FST: sensitivity to " + xLabel, xLabel, "%", series, logX);
        return List.of(table, png);
    }
}
