package dev.fst.bench;

import ai.djl.engine.Engine;
import com.google.common.base.Stopwatch;
import dev.fst.lab.BackdoorLab;
import dev.fst.lab.LabMethods;
import dev.fst.lab.LabOptions;
import dev.fst.lab.OptionParsing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;
import dev.fst.lab.data.LabData;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs a grid of attacks x poisoning rates x methods through the backdoor lab and writes the
 * results (see {@link ResultFiles}). Backdoored models come from the lab's model store when they were
 * trained before; finished cells are read back from {@code results.csv} and skipped, so an
 * interrupted grid resumes where it stopped ({@code --fresh} starts over). After every attack and
 * rate it prints how many cells are done and an estimate of the time left.
 *
 * <p>Options: {@code --tier quick|paper} (default quick), {@code --models LIST}, {@code --attacks
 * LIST}, {@code --rates LIST}, {@code --methods LIST|all} (default all), {@code --out DIR}
 * (default {@code bench-results/TIER}), {@code --fresh}; every other option goes to the lab
 * ({@link LabOptions}), after the tier's defaults, so it overrides them. A grid of one model writes
 * its results into the folder itself; a grid of several models gives each its own sub-folder
 * named after the model.
 *
 * <ul>
 *   <li>{@code quick}: the main job's model (small CNN) on 30,000 + 5,000 synthetic images, 18,000
 *       of them for backdoor training over 10 epochs, 500 held out for tuning; BadNet, Blended,
 *       SIG and WaNet at 5 %, 1 % and 0.5 %; sized to finish within an hour on a 2-core CPU.
 *   <li>{@code paper}: ResNet-18 and VGG19-BN on all training images for 100 epochs with crop and
 *       flip (the reference recipe), all six attacks at 5 %, 1 % and 0.5 %; for a GPU, with {@code
 *       --data cifar10:DIR} for the paper's data.
 * </ul>
 */
public final class Benchmark {

    private Benchmark() {}

    /**
     * Whether the grid runs on the lab's synthetic images: asked for with {@code --data synthetic},
     * or the fallback of the default {@code --data auto} when Fashion-MNIST is not installed.
     */
    static boolean syntheticData(String[] args) {
        String data = "auto";
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--data")) {
                data = args[i + 1];
            }
        }
        return data.equals("synthetic")
                || data.equals("auto") && !Files.isDirectory(dev.fst.lab.data.IdxDataset.FASHION_MNIST_DIR);
    }

    /**
     * The grid's settings.
     *
     * @param tier {@code quick} or {@code paper}
     * @param models the architectures' lab names, each a grid of its own
     * @param attacks the attacks' lab names
     * @param rates the poisoning rates
     * @param methods the methods (paper names)
     * @param out the results folder
     * @param fresh whether earlier results are discarded
     * @param labArgs the lab's options, tier defaults first, without the model, as given (for the
     *     record of the command)
     * @param settings the same options parsed once; every cell is a copy with its model, attack,
     *     rate and methods set
     */
    public record Options(String tier, List<String> models, List<String> attacks, List<Double> rates, List<String> methods, Path out,
            boolean fresh, List<String> labArgs, LabOptions.Settings settings) {

        /**
         * Parses the command line.
         *
         * @param args see the class description
         * @return the settings
         * @throws IllegalArgumentException naming a bad option
         */
        public static Options parse(String[] args) {
            Args a = OptionParsing.parse(new Args(), args);
            String tier = a.tier;
            List<String> attacks;
            List<String> models;
            List<String> lab;
            switch (tier) {
                case "quick" -> {
                    attacks = List.of("badnet", "blended", "sig", "wanet");
                    models = List.of("small-cnn");
                    lab = syntheticData(args)
                            ? new ArrayList<>(List.of("--synthetic-train", "30000", "--synthetic-test", "5000",
                                    "--train", "18000", "--tune", "500", "--epochs", "10"))
                            : new ArrayList<>(List.of("--train", "0", "--tune", "0"));
                }
                case "paper" -> {
                    attacks = List.of("badnet", "blended", "sig", "wanet", "lc", "adaptive-blend");
                    models = List.of("resnet18", "vgg19-bn");
                    lab = new ArrayList<>(List.of("--train", "0", "--epochs", "100",
                            "--augment", "crop-flip"));
                }
                default -> throw new IllegalArgumentException("--tier must be quick or paper but was '" + tier + "'");
            }
            if (a.models != null) {
                models = List.of(a.models.toLowerCase(Locale.ROOT).split(","));
            }
            if (a.attacks != null) {
                attacks = List.of(a.attacks.toLowerCase(Locale.ROOT).split(","));
            }
            List<Double> rates = a.rates == null ? List.of(0.05, 0.01, 0.005)
                    : Arrays.stream(a.rates.split(",")).map(Benchmark::rate).toList();
            List<String> methods = a.methods == null ? LabMethods.NAMES : LabMethods.parse(a.methods);
            Path out = a.out != null ? a.out : Path.of("bench-results", tier);
            boolean fresh = a.fresh;
            for (String flag : a.lab) {
                if (flag.equals("--attack") || flag.equals("--rate") || flag.equals("--model")) {
                    throw new IllegalArgumentException("use --models, --attacks and --rates for the grid, not " + flag);
                }
            }
            lab.addAll(a.lab);
            // validate everything the lab will see, once, before any work
            if (models.size() != new HashSet<>(models).size()) {
                throw new IllegalArgumentException("--models lists a model twice: " + String.join(",", models));
            }
            Options options = new Options(tier, List.copyOf(models), attacks, rates, methods, out, fresh,
                    List.copyOf(lab), LabOptions.settings(lab.toArray(String[]::new)));
            for (String model : models) {
                for (String attack : attacks) {
                    options.settings().copy().model(model).attack(attack).rate(rates.get(0)).methods(methods)
                            .resolve();
                }
            }
            return options;
        }

        /**
         * Returns the lab options of one model's grid: the model first, then the tier's and the
         * user's options.
         *
         * @param model the architecture's lab name
         * @return a new, modifiable list
         */
        public List<String> labArgs(String model) {
            List<String> args = new ArrayList<>(List.of("--model", model));
            args.addAll(labArgs);
            return args;
        }

        /**
         * Returns the results folder of one model's grid: {@link #out} itself for a one-model grid,
         * else its sub-folder named after the model.
         *
         * @param model the architecture's lab name
         * @return the folder
         */
        public Path out(String model) {
            return models.size() == 1 ? out : out.resolve(model);
        }
    }

    /** The grid's own options; every other option goes to the lab ({@link LabOptions}). */
    @Command(mixinStandardHelpOptions = true, name = "bench", sortOptions = false, description = "The benchmark grid: every method on every attack and"
            + " rate; other options go to the lab (fst lab --help).", footer = {"", "Examples:",
                "  fst bench --tier quick", "  fst bench --tier quick --attacks badnet --rates 0.01 --methods FT,FST",
                "  fst bench --tier paper --data cifar10:DIR --device gpu"})
    private static final class Args {
        @Option(names = "--tier", paramLabel = "quick|paper", description = "the grid and lab settings (default quick)")
        String tier = "quick";
        @Option(names = "--models", paramLabel = "LIST", description = "lab architectures (default: the tier's)")
        String models;
        @Option(names = "--attacks", paramLabel = "LIST", description = "attacks (default: the tier's)")
        String attacks;
        @Option(names = "--rates", paramLabel = "LIST", description = "poisoning rates (default 0.05,0.01,0.005)")
        String rates;
        @Option(names = "--methods", paramLabel = "LIST|all", description = "methods (default all)")
        String methods;
        @Option(names = "--out", paramLabel = "DIR", description = "results folder (default bench-results/TIER)")
        Path out;
        @Option(names = "--fresh", description = "start the grid again instead of resuming it")
        boolean fresh;
        @Unmatched
        List<String> lab = new ArrayList<>();
    }

    private static double rate(String s) {
        try {
            double r = Double.parseDouble(s);
            if (!(r > 0 && r <= 1)) {
                throw new IllegalArgumentException("--rates values must be in (0, 1] but got " + s);
            }
            return r;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rates needs numbers but got '" + s + "'", e);
        }
    }

    /**
     * Runs the benchmark from the command line; exit status 2 for bad options or data.
     *
     * @param args see the class description
     */
    public static void main(String[] args) {
        try {
            run(Options.parse(args), System.out, String.join(" ", args));
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * Runs (or resumes) the grid, one model after the other.
     *
     * @param o the settings
     * @param out where progress goes (the lab's own log is not repeated here)
     * @param command the command line, recorded in the outputs
     * @return every finished cell of every model, earlier runs' included
     * @throws IOException if data or results cannot be read or written
     */
    public static List<CellResult> run(Options o, PrintStream out, String command) throws IOException {
        int total = o.models().size() * o.attacks().size() * o.rates().size() * (1 + o.methods().size());
        Progress progress = new Progress(total);
        List<ResultFiles> folders = new ArrayList<>();
        for (String model : o.models()) {
            // refuse every mismatched folder before any work
            folders.add(prepare(o, model));
        }
        List<List<CellResult>> finished = new ArrayList<>();
        for (ResultFiles files : folders) {
            List<CellResult> cells = files.read();
            finished.add(cells);
            progress.done += (int) cells.stream().filter(c -> inGrid(c, o)).count();
        }
        List<CellResult> all = new ArrayList<>();
        for (int m = 0; m < o.models().size(); m++) {
            all.addAll(runModel(o, o.models().get(m), folders.get(m), finished.get(m), progress, out, command));
        }
        return all;
    }

    /** Cells done and run so far over the whole grid, for the estimate of the time left. */
    private static final class Progress {
        private final int total;
        private final Stopwatch clock = Stopwatch.createStarted();
        private int done;
        private int ran;

        Progress(int total) {
            this.total = total;
        }

        String report() {
            double perCell = clock.elapsed(TimeUnit.MILLISECONDS) / 1000.0 / Math.max(1, ran);
            return String.format("  %d of %d cells done (%d this run); about %.0f min left", done, total, ran,
                    (total - done) * perCell / 60);
        }
    }

    /** Checks a model's results folder against its lab settings (or empties it for --fresh). */
    private static ResultFiles prepare(Options o, String model) throws IOException {
        ResultFiles files = new ResultFiles(o.out(model));
        Path settings = o.out(model).resolve("settings.txt");
        String labSettings = String.join(" ", o.labArgs(model)) + "\n";
        if (o.fresh()) {
            Files.deleteIfExists(files.csv());
        } else if (Files.exists(files.csv()) && Files.exists(settings)
                && !Files.readString(settings).equals(labSettings)) {
            throw new IllegalArgumentException(o.out(model) + " holds results of other lab settings ("
                    + Files.readString(settings).strip() + "); use --fresh or another --out");
        }
        Files.createDirectories(o.out(model));
        Files.writeString(settings, labSettings);
        return files;
    }

    private static List<CellResult> runModel(Options o, String model, ResultFiles files, List<CellResult> finished,
            Progress progress, PrintStream out, String command) throws IOException {
        List<CellResult> cells = new ArrayList<>(finished);
        Set<String> done = new HashSet<>();
        cells.forEach(c -> done.add(c.key()));
        List<String> header = List.of(
                "Command: `" + command + "` (tier " + o.tier() + "; lab options " + String.join(" ", o.labArgs(model))
                        + ")",
                "Machine: " + machine() + "; " + versions());
        String prefix = o.models().size() == 1 ? "" : model + ", ";
        LabData data = null;
        for (String attack : o.attacks()) {
            for (double rate : o.rates()) {
                String group = attack + "@" + rate;
                List<String> pending = o.methods().stream().filter(m -> !done.contains(group + "/" + m)).toList();
                if (pending.isEmpty() && done.contains(group + "/none")) {
                    out.printf("%s%s at %s: all %d cells done, skipped%n", prefix, attack, rate,
                            1 + o.methods().size());
                    continue;
                }
                LabOptions lab = o.settings().copy().model(model).attack(attack).rate(rate).methods(pending).resolve();
                out.printf("%s%s at %s: running %s%n", prefix, attack, rate, pending.isEmpty()
                        ? "the backdoored model only" : String.join(", ", pending));
                if (data == null) {
                    // every attack and rate of a model's grid shares the data: load or generate it once
                    data = BackdoorLab.load(lab);
                }
                BackdoorLab.Report report = BackdoorLab.run(lab, new PrintStream(OutputStream.nullOutputStream()), data);
                for (BackdoorLab.Row row : report.rows()) {
                    String method = row.method().startsWith("none") ? "none" : row.method();
                    boolean failed = row.failed();
                    CellResult cell = new CellResult(attack, rate, method, lab.seed(),
                            failed ? 0 : row.cleanAccuracy().hits(), failed ? 0 : row.cleanAccuracy().total(),
                            failed ? 0 : row.attackSuccessRate().hits(), failed ? 0 : row.attackSuccessRate().total(),
                            failed ? 0 : row.robustAccuracy().hits(),
                            failed || row.postPurificationAsr() == null ? 0 : row.postPurificationAsr().hits(),
                            failed || row.postPurificationAsr() == null ? 0 : row.postPurificationAsr().total(),
                            method.equals("none") ? report.backdoor().trainingSeconds() : row.seconds(),
                            lab.model().id(), device(lab), versions(), machine(), Instant.now().toString(),
                            failed ? row.failure() : "");
                    if (done.add(cell.key())) {
                        files.append(cell);
                        cells.add(cell);
                        if (inGrid(cell, o)) {
                            progress.done++;
                        }
                        progress.ran++;
                    }
                }
                files.writeSummaries(cells, header);
                out.println(progress.report());
            }
        }
        files.writeSummaries(cells, header);
        out.printf("wrote %s, %s and %s%n", files.csv(), files.json(), files.markdown());
        return cells;
    }

    private static boolean inGrid(CellResult c, Options o) {
        return o.attacks().contains(c.attack()) && o.rates().contains(c.rate())
                && (c.method().equals("none") || o.methods().contains(c.method()));
    }

    private static String device(LabOptions lab) {
        return lab.device() != null ? lab.device().toString() : Engine.getEngine("PyTorch").defaultDevice().toString();
    }

    private static String versions() {
        return dev.fst.internal.Environment.versions(Engine.getEngine("PyTorch"));
    }

    private static String machine() {
        return dev.fst.internal.Environment.machine();
    }
}
