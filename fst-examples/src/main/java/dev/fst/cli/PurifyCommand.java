package dev.fst.cli;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.gson.GsonBuilder;
import dev.fst.baselines.FstPamTuner;
import dev.fst.baselines.Methods;
import dev.fst.report.AlphaChart;
import dev.fst.report.EpochMetrics;
import dev.fst.AlphaSearch;
import dev.fst.FeatureShiftTuner;
import dev.fst.eval.DefenseEffectiveness;
import dev.fst.eval.Evaluator;
import dev.fst.eval.RetuningAttack;
import dev.fst.eval.RetuningResult;
import dev.fst.eval.Rate;
import dev.fst.head.HeadSelector;
import dev.fst.io.TorchScriptModels;
import dev.fst.lab.attack.Attack;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.UserTrigger;
import dev.fst.lab.data.Cifar10Binary;
import dev.fst.lab.data.Gtsrb;
import dev.fst.lab.data.ImageConversions;
import dev.fst.lab.data.IdxDataset;
import dev.fst.lab.data.ImageFolder;
import dev.fst.lab.data.LabData;
import dev.fst.lab.data.LabeledImages;
import dev.fst.tuning.AccuracyCheck;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code purify}: removes a backdoor from a PyTorch classifier exported as TorchScript, using a few
 * hundred clean images, and writes the purified model as TorchScript with a JSON report.
 *
 * <pre>
 * purify --model model.pt --data folder:clean_dir --out purified.pt [--method fst] [--trigger badnet]
 * </pre>
 *
 * <p>Steps, cheapest first, so that bad input is refused before anything costly happens: check
 * every option; check the paths and reserve the outputs ({@link OutputTransaction}: the input is
 * never written, outputs are replaced only with {@code --force}, the folder must be writable and
 * have room); list the images and bound the memory they need; load the model and check that the
 * method can work on it and that the images fit it; decode the images (one warning line on stderr
 * for each kind of conversion); measure clean accuracy (and the attack success rate of {@code
 * --trigger}); purify with a progress bar; measure again; write the model and the report as a
 * pair (both or neither, also on SIGINT or SIGTERM).
 *
 * <p>Exit codes: 0 success; 1 the purification itself failed (the input is untouched, nothing is
 * written); 2 bad input, one line on stderr naming the problem; 130 and 143 interrupted by SIGINT
 * or SIGTERM (nothing is written unless both files were already in place).
 */
@Command(name = "purify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Purify a backdoored TorchScript classifier with a small clean image set.",
        footer = {"", "Exit codes: 0 success; 1 purification failed; 2 bad input (one line on stderr);",
            "3 the accuracy guard's budget was exceeded (only the report is written, unless",
            "--accept-accuracy-loss); 130/143 interrupted. The input model is never written; the model",
            "and its report NAME.json (and charts NAME-epochs.png, NAME-alpha.png) are written together",
            "or not at all.",
            "",
            "Examples:",
            "  fst purify --model model.pt --data folder:clean --out purified.pt",
            "  fst purify --model model.pt --data folder:clean --poisoned-data folder:triggered --target 0"
                    + " --out purified.pt",
            "  fst purify --model model.pt --data folder:clean --trigger-image patch.png --trigger-at 28,28"
                    + " --target 0 --out purified.pt --method fst:alpha=0.1",
            "  fst purify --model model.pt --data fashion-mnist --out purified.pt --method anp:epochs=20"})
public final class PurifyCommand implements Callable<Integer> {

    /** The method names the command accepts, lower case: every method of the registry, {@link Methods#NAMES}. */
    public static final List<String> METHODS = Methods.NAMES;

    /** Exit code of a run whose model is not written because the accuracy guard's budget was exceeded. */
    public static final int EXIT_OVER_BUDGET = 3;

    /** The suffix of the chart of FST's automatic alpha, written next to the model. */
    static final String ALPHA_CHART = "-alpha.png";

    /** The suffix of the per-epoch chart (clean accuracy, and ASR when measured), written next to the model. */
    static final String EPOCH_CHART = "-epochs.png";

    /** Hands tuning events to the per-epoch measurement once the evaluation images are ready. */
    private static final class EpochForwarder implements TuningListener {
        private EpochMetrics metrics;

        @Override
        public void onTuningStart(dev.fst.tuning.TuningView run) {
            if (metrics != null) {
                metrics.onTuningStart(run);
            }
        }

        @Override
        public void onEpochEnd(dev.fst.tuning.TuningView run, dev.fst.tuning.EpochRecord record) {
            if (metrics != null) {
                metrics.onEpochEnd(run, record);
            }
        }
    }

    private final EpochForwarder epochForwarder = new EpochForwarder();

    /** The largest image side {@code --size} accepts. */
    static final int MAX_SIZE = 4096;

    /** Bytes of Java heap one image value takes while it is loaded and converted (see {@link #checkMemory}). */
    static final int HEAP_BYTES_PER_VALUE = 13;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "TorchScript model to purify")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "SPEC",
            description = "clean images: folder:DIR (one sub-folder per class), fashion-mnist[:DIR], mnist:DIR,"
                    + " cifar10:DIR or gtsrb:DIR")
    private String data;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "where the purified model goes; the report goes next to it as NAME.json")
    private Path out;

    @Option(names = "--method", defaultValue = "fst", paramLabel = "SPEC",
            description = "the method and its options, NAME[:OPTION=VALUE,...], for example fst, fst:alpha=0.1 or"
                    + " anp:epochs=20; names: fst (default), fst-paper, ft, lp, fe-tuning, ft-init, ft-sam, ngf, anp,"
                    + " i-bau, nft, pam, fst-pam; options: the method builder's (see docs/user-guide.md)")
    private String method;

    /** The option part of {@code --method}, from its colon on; empty without options. */
    private String methodOptions = "";

    @Option(names = "--alpha", paramLabel = "X",
            description = "FST's alpha, fixed, in the paper's scale (default: chosen automatically on held-out clean"
                    + " data among 16, 4 and 1 in the cosine scale)")
    private Double alpha;

    @Option(names = "--budget", paramLabel = "POINTS",
            description = "the accuracy guard's budget: the largest acceptable drop of held-out accuracy, in"
                    + " percentage points, (0, 100] (default 3)")
    private Double budget;

    @Option(names = "--held-out", paramLabel = "F",
            description = "share of --data held out of tuning for the accuracy guard, [0, 0.5] (default 0.2; 0 turns"
                    + " the guard off)")
    private Double heldOut;

    @Option(names = "--accept-accuracy-loss",
            description = "write the model even when the accuracy guard's budget is exceeded (exit code 0)")
    private boolean acceptAccuracyLoss;

    @Option(names = "--epochs", paramLabel = "N", description = "tuning epochs, >= 1 (default: the method's)")
    private Integer epochs;

    @Option(names = "--lr", paramLabel = "X", description = "learning rate, > 0 (default: the method's)")
    private Double learningRate;

    @Option(names = "--batch-size", paramLabel = "N", description = "mini-batch size, >= 1 (default 128)")
    private Integer batchSize;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "seed (default 0)")
    private long seed;

    @Option(names = "--device", paramLabel = "D", description = "cpu, gpu or gpu:N (default: a GPU when present)")
    private String device;

    @Option(names = "--head", paramLabel = "NAME", description = "head layer name(s), comma-separated (default: auto)")
    private String head;

    @Option(names = "--eval-data", paramLabel = "SPEC",
            description = "clean evaluation images (default: every fifth image of --data is held out)")
    private String evalData;

    @Option(names = "--trigger", paramLabel = "ATTACK",
            description = "measure the attack success rate of this trigger: badnet, badnet-grid, blended, sig,"
                    + " wanet, adaptive-blend")
    private String trigger;

    @Option(names = "--poisoned-data", paramLabel = "SPEC",
            description = "images that already carry your trigger, filed under their true classes (folder:DIR"
                    + " with sub-folders named as --data's classes, some of them are enough; or any kind --data"
                    + " takes): the attack success rate is measured on them; images of the --target class are left"
                    + " out")
    private String poisonedData;

    @Option(names = "--trigger-image", paramLabel = "FILE",
            description = "your trigger as an image (PNG, JPEG, BMP, GIF, PPM), stamped onto the evaluation images"
                    + " with --trigger-at or blended over them with --blend, to measure the attack success rate")
    private Path triggerImage;

    @Option(names = "--trigger-at", split = ",", paramLabel = "X,Y",
            description = "where --trigger-image goes, unscaled: column and row of its top-left corner in the"
                    + " images the model takes")
    private int[] triggerAt;

    @Option(names = "--blend", paramLabel = "R",
            description = "blend --trigger-image, resized to the images, over them at ratio R in (0, 1]")
    private Double blend;

    @Option(names = "--retune-check",
            description = "after purifying, fine-tune a copy on the tuning images with 5 of them replaced by triggered"
                    + " images labelled with the target (SGD lr 0.01, momentum 0.9, 5 epochs) and report its attack"
                    + " success rate, P-ASR: does the backdoor come back? Needs --poisoned-data, --trigger-image or"
                    + " --trigger; the purified model itself is not changed")
    private boolean retuneCheck;

    @Option(names = "--target", defaultValue = "0", paramLabel = "K",
            description = "the backdoor's target class, for --trigger, --poisoned-data or --trigger-image (default 0)")
    private int target;

    @Option(names = "--mean", split = ",", paramLabel = "M[,M,M]",
            description = "normalisation mean, one value per channel (default: CIFAR-10's for RGB models,"
                    + " Fashion-MNIST's 0.2860 for grayscale ones)")
    private double[] mean;

    @Option(names = "--std", split = ",", paramLabel = "S[,S,S]",
            description = "normalisation std, one value per channel (default: CIFAR-10's for RGB models,"
                    + " Fashion-MNIST's 0.3530 for grayscale ones)")
    private double[] std;

    @Option(names = "--channels", paramLabel = "C",
            description = "image channels the model takes, 1 or 3 (default: its first convolution's input channels)")
    private Integer channelsOption;

    @Option(names = "--size", paramLabel = "N", description = "image side the model takes, 8.." + MAX_SIZE
            + " (default: the images' own size if the model takes it, else the first common size it takes)")
    private Integer sizeOption;

    @Option(names = "--channels-last", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "hand batches to the model in channels-last memory (default on; --no-channels-last for a"
                    + " model that calls view() on a feature map)")
    private boolean channelsLast;

    @Option(names = "--force", description = "replace an existing output file and report")
    private boolean force;

    private final PrintStream stdout;
    private final PrintStream stderr;
    private String stage = "checking the options";
    /** The image shape, from the options or the model. */
    private int channels;
    private int size;

    private PurifyCommand(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Runs the command and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command.
     *
     * @param args the command line
     * @param stdout where the report goes
     * @param stderr where warnings and errors go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        return commandLine(stdout, stderr).execute(args);
    }

    /**
     * Builds the picocli command line with the command's error handling: a bad option is one line
     * on stderr and exit code 2, as is bad input found later; a failed purification is exit code 1.
     *
     * @param stdout where the report goes
     * @param stderr where warnings and errors go
     * @return the command line
     */
    public static CommandLine commandLine(PrintStream stdout, PrintStream stderr) {
        CommandLine line = new CommandLine(new PurifyCommand(stdout, stderr));
        line.setOut(new PrintWriter(stdout, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(stderr, true, StandardCharsets.UTF_8));
        line.setParameterExceptionHandler((e, args) -> {
            stderr.println("purify: " + CliMessages.oneLine(e.getMessage()) + " (see purify --help)");
            return 2;
        });
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof PurificationException) {
                stderr.println("purify: " + CliMessages.forFlags(e.getMessage()));
                return 1;
            }
            if (e instanceof SpecException) {
                stderr.println("purify: " + CliMessages.oneLine(e.getMessage())); // the spec's own option names
                return 2;
            }
            if (e instanceof IllegalArgumentException || e instanceof IOException
                    || e instanceof UncheckedIOException) {
                stderr.println("purify: " + CliMessages.forFlags(e.getMessage()));
                return 2;
            }
            stderr.println("purify: failed while " + ((PurifyCommand) cmd.getCommand()).stage + ": "
                    + e.getClass().getSimpleName() + ": " + CliMessages.forFlags(e.getMessage()));
            return 1;
        });
        return line;
    }

    @Override
    public Integer call() throws IOException {
        try {
            return purify();
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException("out of Java heap memory while " + stage + " (the JVM may use "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB): use fewer or smaller images (--size),"
                    + " or give Java more memory with -Xmx");
        }
    }

    private int purify() throws IOException {
        String methodName = checkOptions();
        Device dev = device == null ? null : Devices.parse(device);
        Attack attack = trigger == null ? null : attack(trigger, target);
        if (channelsOption != null) {
            Preprocessing.of(mean, std, channelsOption, 32);
        } else if (mean != null && std != null && mean.length != std.length) {
            throw new IllegalArgumentException("--mean has " + mean.length + " value(s) but --std has " + std.length);
        }
        DataSpec dataSpec = DataSpec.parse(data, "--data");
        DataSpec evalSpec = evalData == null ? null : DataSpec.parse(evalData, "--eval-data");
        DataSpec poisonedSpec = poisonedData == null ? null : DataSpec.parse(poisonedData, "--poisoned-data");
        UserTrigger userTrigger = triggerImage == null ? null : UserTrigger.read(triggerImage);
        checkModelFile();
        Purifier purifier = purifier(methodName + methodOptions);
        stage = "checking the output paths";
        List<String> charts = purifier instanceof FeatureShiftTuner fst && !fst.alphaCandidates().isEmpty()
                ? List.of(EPOCH_CHART, ALPHA_CHART) : List.of(EPOCH_CHART);
        try (OutputTransaction output = OutputTransaction.open(model, out, force, Files.size(model) + (1 << 20),
                charts)) {
            stage = "listing the images";
            long images = dataSpec.countImages() + (evalSpec == null ? 0 : evalSpec.countImages())
                    + (poisonedSpec == null ? 0 : poisonedSpec.countSubset());
            if (sizeOption != null) {
                checkMemory(images, channelsOption != null ? channelsOption : 3, sizeOption);
            }
            stage = "loading the model";
            try (Model net = load(dev)) {
                checkMethod(purifier, methodName, net);
                stage = "checking that the images fit the model";
                resolveShape(net, dataSpec);
                checkMemory(images, channels, size);
                Preprocessing preprocessing = Preprocessing.of(mean, std, channels, size);
                stage = "decoding the images";
                ImageConversions conversions = new ImageConversions();
                LabeledImages tuning;
                LabeledImages evaluation;
                if (evalSpec == null) {
                    LabData split = dataSpec.loadSplit(channels, size, conversions);
                    tuning = split.train();
                    evaluation = split.test();
                    warnUnevaluatedClasses(evaluation, "every fifth image of each class of --data is held out for"
                            + " evaluation");
                } else {
                    tuning = dataSpec.loadAll(channels, size, conversions);
                    evaluation = evalSpec.loadAll(channels, size, conversions);
                    if (!evaluation.classNames().equals(tuning.classNames())) {
                        throw new IllegalArgumentException("--eval-data has classes " + evaluation.classNames()
                                + " but --data has " + tuning.classNames());
                    }
                    warnUnevaluatedClasses(evaluation, "--eval-data has none of them");
                }
                boolean measuresAsr = attack != null || poisonedSpec != null || userTrigger != null;
                if (measuresAsr && target >= tuning.classes()) {
                    throw new IllegalArgumentException("--target " + target + " is not one of the " + tuning.classes()
                            + " classes " + tuning.classNames());
                }
                int classes = checkClasses(net, tuning);
                Map<String, Object> triggerInfo = new LinkedHashMap<>();
                LabeledImages triggered = null;
                if (attack != null) {
                    triggered = attack.triggeredTestSet(evaluation);
                    triggerInfo.put("attack", trigger);
                } else if (poisonedSpec != null) {
                    triggered = poisoned(poisonedSpec.loadSubset(tuning.classNames(), channels, size, conversions),
                            tuning);
                    triggerInfo.put("poisonedData", poisonedData);
                } else if (userTrigger != null) {
                    triggered = triggerAt != null ? userTrigger.stamped(evaluation, triggerAt[0], triggerAt[1], target)
                            : userTrigger.blended(evaluation, blend, target);
                    triggerInfo.put("triggerImage", triggerImage.toAbsolutePath().toString());
                    if (triggerAt != null) {
                        triggerInfo.put("at", List.of(triggerAt[0], triggerAt[1]));
                    } else {
                        triggerInfo.put("blend", blend);
                    }
                }
                if (triggered != null) {
                    triggerInfo.put("target", target);
                    triggerInfo.put("images", triggered.size());
                }
                conversions.describe().forEach(line -> stderr.println("purify: warning: " + line));
                return tuneAndWrite(net, purifier, preprocessing, tuning, evaluation, triggered,
                        triggered == null ? null : triggerInfo, classes, output);
            }
        }
    }

    /** At most this many evaluation and triggered images are measured after every epoch (the chart). */
    static final int EPOCH_SAMPLE = 1000;

    /** A seeded random sample of at most {@code n} images, in their original order. */
    private LabeledImages sample(LabeledImages images, int n) {
        if (images.size() <= n) {
            return images;
        }
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            indices.add(i);
        }
        java.util.Collections.shuffle(indices, new java.util.Random(seed));
        return images.select(indices.subList(0, n).stream().mapToInt(Integer::intValue).sorted().toArray());
    }

    /** The per-epoch points of the run the result kept: with automatic alpha, the chosen value's. */
    private List<EpochMetrics.Point> keptRun(PurificationResult result) {
        List<List<EpochMetrics.Point>> runs = epochForwarder.metrics.runs();
        if (runs.isEmpty()) {
            return epochForwarder.metrics.points();
        }
        int kept = runs.size() - 1;
        if (result.details().get("alphaSearch") instanceof AlphaSearch search) {
            for (int i = 0; i < search.trials().size() && i < runs.size(); i++) {
                if (search.trials().get(i).alpha() == search.chosen()) {
                    kept = i;
                }
            }
        }
        return runs.get(kept);
    }

    /**
     * Checks the user's poisoned images against the tuning classes and leaves out the target class,
     * saying how many.
     */
    private LabeledImages poisoned(LabeledImages images, LabeledImages tuning) {
        if (!images.classNames().equals(tuning.classNames())) {
            throw new IllegalArgumentException("--poisoned-data has classes " + images.classNames() + " but --data has "
                    + tuning.classNames() + "; put each poisoned image under its true class");
        }
        int[] others = images.indicesWhereLabel(target, false);
        int excluded = images.size() - others.length;
        String targetName = images.classNames().get(target);
        if (others.length == 0) {
            throw new IllegalArgumentException("--poisoned-data " + poisonedData + " holds only images of the target"
                    + " class " + target + " (" + targetName + "): nothing to measure the attack success rate on");
        }
        if (excluded > 0) {
            stderr.println("purify: --poisoned-data: " + excluded + " image(s) of the target class " + target + " ("
                    + targetName + ") left out; the attack success rate is measured on the other " + others.length);
        }
        return images.select(others);
    }

    private int tuneAndWrite(Model net, Purifier purifier, Preprocessing preprocessing, LabeledImages tuning,
            LabeledImages evaluation, LabeledImages triggeredImages, Map<String, Object> triggerInfo, int classes,
            OutputTransaction output) throws IOException {
        stage = "checking training mode";
        boolean trainModeMatters = TorchScriptModels.trainingModeHasEffect(model, new Shape(channels, size, size));
        if (!trainModeMatters) {
            stderr.println("purify: warning: training mode does not change the model's outputs: it was probably traced"
                    + " in eval mode, so its BatchNorm statistics stay frozen (or it has no BatchNorm/dropout);"
                    + " export it with torch.jit.script to tune them");
        }
        try (NDManager manager = net.getNDManager().newSubManager()) {
            RandomAccessDataset tuningSet = preprocessing.toDataset(tuning, manager);
            RandomAccessDataset evalSet = preprocessing.toDataset(evaluation, manager);
            RandomAccessDataset triggered = triggeredImages == null ? null
                    : preprocessing.toDataset(triggeredImages, manager);
            stdout.printf("%s: %d logits; %d tuning images and %d evaluation images of %d classes %s%n", model,
                    classes, tuning.size(), evaluation.size(), tuning.classes(), tuning.classNames());
            stage = "measuring the model before purification";
            Map<String, Object> before = measure(net, evalSet, triggered);
            // the per-epoch chart measures a seeded sample: every epoch of every run costs an evaluation
            epochForwarder.metrics = EpochMetrics.startingFrom(net,
                    preprocessing.toDataset(sample(evaluation, EPOCH_SAMPLE), manager),
                    triggeredImages == null ? null
                            : preprocessing.toDataset(sample(triggeredImages, EPOCH_SAMPLE), manager), target);
            stage = "purifying";
            PurificationResult result = purifier.purify(net, tuningSet);
            stage = "measuring the purified model";
            Map<String, Object> after = measure(net, evalSet, triggered);
            stage = "writing the outputs";
            Map<String, Object> json = report(result, preprocessing, tuning, evaluation, triggerInfo, trainModeMatters,
                    before, after, output);
            String der = null;
            RetuningResult retuned = null;
            if (triggered != null) {
                double rating = DefenseEffectiveness.rating((double) before.get("attackSuccessRateValue"),
                        (double) after.get("attackSuccessRateValue"), (double) before.get("cleanAccuracyValue"),
                        (double) after.get("cleanAccuracyValue"));
                der = String.format(Locale.ROOT, "%.4f", rating);
                json.put("defenseEffectivenessRating", rating);
                if (retuneCheck) {
                    stage = "running the retuning attack";
                    retuned = RetuningAttack.builder().seed(seed).build().evaluate(net, tuningSet, triggered, target,
                            evalSet, triggered);
                    Map<String, Object> retune = new LinkedHashMap<>();
                    retune.put("postPurificationAttackSuccessRate", retuned.pAsr().toString());
                    retune.put("postPurificationAttackSuccessRateValue", retuned.pAsr().value());
                    retune.put("cleanAccuracy", retuned.cleanAccuracy().toString());
                    retune.put("cleanAccuracyValue", retuned.cleanAccuracy().value());
                    retune.put("settings", stringify(retuned.settings()));
                    json.put("retuneCheck", retune);
                }
            }
            AccuracyCheck check = result.accuracyCheck();
            boolean rejected = !check.withinBudget() && !acceptAccuracyLoss;
            json.put("outcome", rejected ? String.format(Locale.ROOT, "model not written: held-out accuracy dropped by"
                    + " %.2f points, more than the budget of %.2f; rerun with --accept-accuracy-loss to write it",
                    check.drop(), check.budget()) : "model written");
            List<EpochMetrics.Point> points = keptRun(result);
            List<Map<String, Object>> perEpoch = new ArrayList<>();
            for (EpochMetrics.Point point : points) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("epoch", point.epoch());
                p.put("cleanAccuracy", point.cleanAccuracy());
                if (!Double.isNaN(point.attackSuccessRate())) {
                    p.put("attackSuccessRate", point.attackSuccessRate());
                }
                perEpoch.add(p);
            }
            json.put("perEpoch", perEpoch);
            String text = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                    .disableHtmlEscaping().create().toJson(json) + "\n";
            stdout.println();
            if (triggered == null) {
                stdout.println("| model | clean accuracy |");
                stdout.println("|---|---|");
                stdout.printf("| before | %s |%n", before.get("cleanAccuracy"));
                stdout.printf("| after %s | %s |%n", result.method(), after.get("cleanAccuracy"));
            } else {
                stdout.println("| model | clean accuracy | attack success rate | robust accuracy |");
                stdout.println("|---|---|---|---|");
                stdout.printf("| before | %s | %s | %s |%n", before.get("cleanAccuracy"),
                        before.get("attackSuccessRate"), before.get("robustAccuracy"));
                stdout.printf("| after %s | %s | %s | %s |%n", result.method(), after.get("cleanAccuracy"),
                        after.get("attackSuccessRate"), after.get("robustAccuracy"));
                if (retuned != null) {
                    stdout.printf("| after %s, then retuned with %d triggered images | %s | %s (P-ASR) | |%n",
                            result.method(), retuned.replaced().size(), retuned.cleanAccuracy(), retuned.pAsr());
                }
                stdout.println("defense effectiveness rating (DER): " + der);
            }
            stdout.println("accuracy guard: " + check);
            if (result.details().get("alphaSearch") instanceof AlphaSearch search) {
                stdout.println("alpha: " + search);
            }
            if (rejected) {
                output.writeReport(text);
                output.commitReportOnly();
                stderr.println("purify: " + json.get("outcome") + " (report: " + output.report() + ")");
                return EXIT_OVER_BUDGET;
            }
            output.writeModel(stream -> TorchScriptModels.write(net, stream));
            List<Path> charts = new ArrayList<>();
            if (result.details().get("alphaSearch") instanceof AlphaSearch search) {
                charts.add(output.writeExtra(ALPHA_CHART, stream -> AlphaChart.write(search, check.budget(), stream)));
            }
            charts.add(0, output.writeExtra(EPOCH_CHART, stream -> EpochMetrics.chart(points,
                    result.method() + " on " + model.getFileName() + ": evaluation images per epoch", stream)));
            output.writeReport(text);
            output.commit();
            List<String> written = new ArrayList<>(List.of(output.model().toString(), output.report().toString()));
            charts.forEach(chart -> written.add(chart.toString()));
            stdout.println("wrote " + String.join(", ", written.subList(0, written.size() - 1)) + " and "
                    + written.get(written.size() - 1));
        }
        return 0;
    }

    private Map<String, Object> report(PurificationResult result, Preprocessing preprocessing, LabeledImages tuning,
            LabeledImages evaluation, Map<String, Object> triggerInfo, boolean trainModeMatters, Map<String, Object> before, Map<String, Object> after,
            OutputTransaction output) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("input", model.toAbsolutePath().toString());
        json.put("output", output.model().toString());
        json.put("method", result.method());
        json.put("spec", method);
        json.put("configuration", stringify(result.configuration().asMap()));
        json.put("tuningData", tuningData(result.data()));
        json.put("details", stringify(result.details()));
        json.put("head", result.headLayers());
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("mean", preprocessing.mean());
        pre.put("std", preprocessing.std());
        pre.put("channels", channels);
        pre.put("size", size);
        json.put("preprocessing", pre);
        json.put("tuningImages", tuning.size());
        json.put("evaluationImages", evaluation.size());
        json.put("trigger", triggerInfo);
        json.put("trainingModeHasEffect", trainModeMatters);
        json.put("before", before);
        json.put("after", after);
        AccuracyCheck check = result.accuracyCheck();
        Map<String, Object> guard = new LinkedHashMap<>();
        guard.put("heldOutImages", check.images());
        guard.put("before", check.before().toString());
        guard.put("after", check.after().toString());
        guard.put("dropPoints", check.drop());
        guard.put("budgetPoints", check.budget());
        guard.put("withinBudget", check.withinBudget());
        json.put("accuracyGuard", guard);
        if (result.details().get("alphaSearch") instanceof AlphaSearch search) {
            Map<String, Object> alphaJson = new LinkedHashMap<>();
            alphaJson.put("scale", search.scale().name().toLowerCase(Locale.ROOT));
            List<Map<String, Object>> trials = new ArrayList<>();
            for (AlphaSearch.Trial trial : search.trials()) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("alpha", trial.alpha());
                t.put("heldOutBefore", trial.check().before().value());
                t.put("heldOutAfter", trial.check().after().value());
                t.put("dropPoints", trial.check().drop());
                trials.add(t);
            }
            alphaJson.put("tried", trials);
            alphaJson.put("chosen", search.chosen());
            alphaJson.put("withinBudget", search.withinBudget());
            json.put("alphaSearch", alphaJson);
        }
        json.put("tuningSeconds", result.wallTime().toMillis() / 1000.0);
        json.put("environment", result.environment());
        return json;
    }

    /** Checks every option's value, naming the flag; returns the method's canonical name. */
    private String checkOptions() {
        int colon = method.indexOf(':');
        String methodName;
        try {
            methodName = Methods.canonical(colon < 0 ? method : method.substring(0, colon));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--method: " + e.getMessage(), e);
        }
        methodOptions = colon < 0 ? "" : method.substring(colon);
        if (alpha != null && !methodName.startsWith("fst")) {
            throw new IllegalArgumentException("--alpha applies to --method fst, fst-paper and fst-pam only");
        }
        if (alpha != null && !(Double.isFinite(alpha) && alpha >= 0)) {
            throw new IllegalArgumentException("--alpha must be a finite number >= 0 but was " + alpha);
        }
        int triggerSources = (trigger != null ? 1 : 0) + (poisonedData != null ? 1 : 0) + (triggerImage != null ? 1 : 0);
        if (triggerSources > 1) {
            throw new IllegalArgumentException("give one of --trigger, --poisoned-data and --trigger-image, not "
                    + triggerSources);
        }
        if (retuneCheck && triggerSources == 0) {
            throw new IllegalArgumentException("--retune-check needs triggered images: --poisoned-data, --trigger-image"
                    + " or --trigger");
        }
        if (triggerImage != null && (triggerAt == null) == (blend == null)) {
            throw new IllegalArgumentException("--trigger-image needs exactly one of --trigger-at X,Y (a patch) and"
                    + " --blend R (a full-size pattern)");
        }
        if (triggerImage == null && (triggerAt != null || blend != null)) {
            throw new IllegalArgumentException((triggerAt != null ? "--trigger-at" : "--blend")
                    + " needs --trigger-image");
        }
        if (triggerAt != null && (triggerAt.length != 2 || triggerAt[0] < 0 || triggerAt[1] < 0)) {
            throw new IllegalArgumentException("--trigger-at must be two numbers >= 0, X,Y, but was "
                    + java.util.Arrays.toString(triggerAt));
        }
        if (blend != null && !(blend > 0 && blend <= 1)) {
            throw new IllegalArgumentException("--blend must be in (0, 1] but was " + blend);
        }
        if (target < 0) {
            throw new IllegalArgumentException("--target must be >= 0 but was " + target);
        }
        if (triggerImage != null && !Files.isRegularFile(triggerImage)) {
            throw new IllegalArgumentException("--trigger-image " + triggerImage + " is not a readable file");
        }
        if (budget != null && !(budget > 0 && budget <= 100)) {
            throw new IllegalArgumentException("--budget must be in (0, 100] percentage points but was " + budget);
        }
        if (heldOut != null && !(heldOut >= 0 && heldOut <= 0.5)) {
            throw new IllegalArgumentException("--held-out must be in [0, 0.5] but was " + heldOut);
        }
        if (epochs != null && epochs < 1) {
            throw new IllegalArgumentException("--epochs must be >= 1 but was " + epochs);
        }
        if (learningRate != null && !(Double.isFinite(learningRate) && learningRate > 0)) {
            throw new IllegalArgumentException("--lr must be a finite number > 0 but was " + learningRate);
        }
        if (batchSize != null && batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1 but was " + batchSize);
        }
        if (sizeOption != null && (sizeOption < 8 || sizeOption > MAX_SIZE)) {
            throw new IllegalArgumentException("--size must be in 8.." + MAX_SIZE + " but was " + sizeOption);
        }
        if (channelsOption != null && channelsOption != 1 && channelsOption != 3) {
            throw new IllegalArgumentException("--channels must be 1 or 3 but was " + channelsOption);
        }
        if (target < 0) {
            throw new IllegalArgumentException("--target must be >= 0 but was " + target);
        }
        if (head != null && (head.isBlank() || List.of(head.split(",", -1)).stream().anyMatch(String::isBlank))) {
            throw new IllegalArgumentException("--head needs layer names separated by commas but was '" + head + "'");
        }
        return methodName;
    }

    private void checkModelFile() {
        if (model.toString().isBlank()) {
            throw new IllegalArgumentException("--model needs a TorchScript file");
        }
        if (Files.isDirectory(model)) {
            throw new IllegalArgumentException("--model " + model + " is a folder; it needs a TorchScript file (.pt)");
        }
        if (!Files.exists(model)) {
            throw new IllegalArgumentException("--model " + model + " does not exist");
        }
        if (!Files.isReadable(model)) {
            throw new IllegalArgumentException("--model " + model + " cannot be read (permission denied)");
        }
    }

    /**
     * Refuses image sets whose decoded values would not fit in the Java heap: each value is held as
     * a byte, then as a float while it is normalised, and as a float again in the tuning loop's
     * copy, with temporaries (about {@value #HEAP_BYTES_PER_VALUE} bytes in all).
     */
    private void checkMemory(long images, int channels, int size) {
        long values = images * channels * (long) size * size;
        long needed = values * HEAP_BYTES_PER_VALUE;
        long available = Runtime.getRuntime().maxMemory();
        if (values > Integer.MAX_VALUE - 8L || needed > available) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%d images of %dx%dx%d need about %.1f GiB of Java heap, more than the %.1f GiB this JVM may"
                            + " use: lower --size or use fewer images%s", images, channels, size, size,
                    needed / (double) (1L << 30), available / (double) (1L << 30),
                    values > Integer.MAX_VALUE - 8L ? "" : " (or raise -Xmx)"));
        }
    }

    private Model load(Device dev) {
        Model net = TorchScriptModels.load(model, dev);
        if (dev == null) {
            return net;
        }
        try {
            Device actual = net.getBlock().getParameters().get(0).getValue().getArray().getDevice();
            if (!actual.equals(dev)) {
                throw new IllegalArgumentException("--device " + device + ": the model's parameters loaded on "
                        + actual + " instead");
            }
            return net;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /** Refuses a model the method cannot work on, naming the methods that can, before any image is decoded. */
    private void checkMethod(Purifier purifier, String methodName, Model net) {
        stage = "checking that " + methodName + " can purify the model";
        try {
            purifier.validate(net);
        } catch (IllegalArgumentException e) {
            List<String> able = new ArrayList<>();
            for (String other : METHODS) {
                if (!other.equals(methodName)) {
                    try {
                        purifier(other).validate(net);
                        able.add(other);
                    } catch (IllegalArgumentException ignored) {
                        // this one cannot either
                    }
                }
            }
            String why = CliMessages.oneLine(e.getMessage());
            if (able.isEmpty()) {
                throw new IllegalArgumentException(why, e);
            }
            throw new IllegalArgumentException("--method " + methodName + " cannot purify " + model + ": " + why
                    + "; methods that can: " + String.join(", ", able), e);
        }
    }

    /**
     * Sets the image shape: channels from {@code --channels} or the model's first convolution (3
     * without one); the side from {@code --size}, or else the data's own size when the model takes
     * it, or else the first common size the model takes. Refuses a shape the model does not take,
     * naming both.
     */
    private void resolveShape(Model net, DataSpec dataSpec) throws IOException {
        ModelInput input = new ModelInput(net);
        channels = channelsOption != null ? channelsOption : input.channels().orElse(3);
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("the model's first convolution " + input.firstConvolution() + " takes "
                    + channels + " channels; images can have 1 (grayscale) or 3 (RGB)");
        }
        if (sizeOption != null) {
            size = sizeOption;
        } else {
            int nativeSize = dataSpec.nativeSize();
            size = input.outputShape(channels, nativeSize) != null ? nativeSize
                    : input.firstFittingSide(channels).orElse(nativeSize);
        }
        Shape logits = input.outputShape(channels, size);
        if (logits == null) {
            throw new IllegalArgumentException("the images do not fit the model: " + input.mismatch(channels, size));
        }
        if (logits.dimension() != 2) {
            throw new IllegalArgumentException("the model must return logits of shape (batch, classes) but returned "
                    + logits + " for one image of " + channels + "x" + size + "x" + size);
        }
    }

    /** Every class of the data must be a logit; returns the number of logits. */
    private int checkClasses(Model net, LabeledImages images) {
        Shape logits = new ModelInput(net).outputShape(channels, size);
        long outputs = logits.get(1);
        if (images.classes() != outputs) {
            throw new IllegalArgumentException("the data has " + images.classes() + " classes " + images.classNames()
                    + " but the model has " + outputs + " outputs; give one class folder per output, named so that"
                    + " they sort (as torchvision's ImageFolder sorts them) in the order of the model's classes");
        }
        return (int) outputs;
    }

    private void warnUnevaluatedClasses(LabeledImages evaluation, String why) {
        int[] counts = evaluation.classCounts();
        List<String> missing = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] == 0) {
                missing.add(evaluation.classNames().get(c));
            }
        }
        if (!missing.isEmpty()) {
            stderr.println("purify: warning: " + missing.size() + " class(es) have no evaluation image and are not"
                    + " evaluated (" + why + "): " + missing);
        }
    }

    private Map<String, Object> measure(Model net, RandomAccessDataset clean, RandomAccessDataset triggered) {
        Map<String, Object> m = new LinkedHashMap<>();
        Rate accuracy = Evaluator.accuracy(net, clean);
        m.put("cleanAccuracy", accuracy.toString());
        m.put("cleanAccuracyValue", accuracy.value());
        if (triggered != null) {
            Rate asr = Evaluator.attackSuccessRate(net, triggered, target);
            m.put("attackSuccessRate", asr.toString());
            m.put("attackSuccessRateValue", asr.value());
            Rate robust = Evaluator.robustAccuracy(net, triggered, target);
            m.put("robustAccuracy", robust.toString());
            m.put("robustAccuracyValue", robust.value());
        }
        return m;
    }

    /** Builds a method from its spec through the registry, with the command's shared flags applied first. */
    private Purifier purifier(String spec) {
        try {
            return Methods.parse(spec, this::configureAny);
        } catch (IllegalArgumentException e) {
            throw new SpecException("--method: " + e.getMessage(), e);
        }
    }

    /** A bad {@code --method} spec: its message names the spec's options, not the command's flags. */
    private static final class SpecException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        SpecException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void configureAny(TunerBuilder<?> builder) {
        configure((TunerBuilder) builder);
        if (alpha != null) {
            if (builder instanceof FeatureShiftTuner.Builder fst) {
                fst.alpha(alpha);
            } else if (builder instanceof FstPamTuner.Builder fstPam) {
                fstPam.alpha(alpha);
            }
        }
    }

    private <B extends TunerBuilder<B>> B configure(B builder) {
        builder.seed(seed).listener(TuningListener.progressBar()).listener(epochForwarder).channelsLast(channelsLast);
        if (epochs != null) {
            builder.epochs(epochs);
        }
        if (learningRate != null) {
            builder.learningRate(learningRate);
        }
        if (batchSize != null) {
            builder.batchSize(batchSize);
        }
        if (head != null) {
            builder.head(HeadSelector.named(head.split(",")));
        }
        if (device != null) {
            builder.device(Devices.parse(device));
        }
        if (budget != null) {
            builder.accuracyBudget(budget);
        }
        if (heldOut != null) {
            builder.heldOutFraction(heldOut);
        }
        return builder;
    }

    private static Attack attack(String name, int target) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!Attacks.NAMES.contains(key) || Attacks.needsSurrogate(key)) {
            throw new IllegalArgumentException("unknown --trigger '" + name + "'; use badnet, badnet-grid, blended, sig,"
                    + " wanet or adaptive-blend");
        }
        return Attacks.create(key, target, null);
    }

    private static Map<String, Object> tuningData(dev.fst.tuning.TuningData data) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("count", data.count());
        map.put("imageShape", data.imageShape());
        map.put("classHistogram", data.classHistogram());
        map.put("sha256", data.contentHash());
        return map;
    }

    private static Map<String, Object> stringify(Map<String, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, v instanceof Number || v instanceof Boolean ? v : String.valueOf(v)));
        return out;
    }

    /** A {@code --data} value: its kind and folder, checked when parsed, loaded when asked. */
    private record DataSpec(String option, String kind, Path dir) {

        private static final List<String> KINDS = List.of("folder", "fashion-mnist", "mnist", "cifar10", "gtsrb");

        static DataSpec parse(String spec, String option) {
            int colon = spec.indexOf(':');
            String kind = colon < 0 ? spec : spec.substring(0, colon);
            String dir = colon < 0 ? "" : spec.substring(colon + 1);
            if (kind.equals("fashion-mnist") && dir.isBlank()) {
                dir = IdxDataset.FASHION_MNIST_DIR.toString();
            }
            if (!KINDS.contains(kind) || dir.isBlank()) {
                throw new IllegalArgumentException(option + " must be folder:DIR, fashion-mnist[:DIR], mnist:DIR,"
                        + " cifar10:DIR or gtsrb:DIR but was '" + spec + "'");
            }
            Path path = Path.of(dir);
            if (!Files.isDirectory(path)) {
                String hint = path.equals(IdxDataset.FASHION_MNIST_DIR)
                        ? " (install it with apt-get install dataset-fashion-mnist)" : "";
                throw new IllegalArgumentException(option + " " + spec + ": " + (Files.exists(path)
                        ? path + " is not a folder" : "the folder " + path + " does not exist" + hint));
            }
            return new DataSpec(option, kind, path);
        }

        /** The images' own side: the folder's most common size, 28 for the IDX sets, 32 otherwise. */
        int nativeSize() throws IOException {
            return switch (kind) {
                case "folder" -> {
                    int[] hw;
                    try {
                        hw = folder().commonSize();
                    } catch (IOException e) {
                        throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
                    }
                    yield Math.max(8, Math.min(MAX_SIZE, Math.max(hw[0], hw[1])));
                }
                case "fashion-mnist", "mnist" -> 28;
                default -> 32;
            };
        }

        /** Counts the images without decoding them (CIFAR-10 by file size; GTSRB is read). */
        /** Counts the images, for folders of some classes only (see {@link #loadSubset}). */
        long countSubset() throws IOException {
            if (!kind.equals("folder")) {
                return countImages();
            }
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException(option + ": image folder " + dir + " does not exist");
            }
            try (var files = Files.walk(dir, 2)) {
                return files.filter(Files::isRegularFile).filter(p -> {
                    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    return ImageFolder.EXTENSIONS.contains(name.substring(name.lastIndexOf('.') + 1));
                }).count();
            }
        }

        long countImages() throws IOException {
            return switch (kind) {
                case "folder" -> folder().size();
                case "fashion-mnist", "mnist" -> 70_000;
                case "cifar10" -> {
                    long bytes = 0;
                    try (var files = Files.list(dir)) {
                        for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".bin")).toList()) {
                            bytes += Files.size(f);
                        }
                    }
                    yield bytes / Cifar10Binary.RECORD;
                }
                default -> 0;
            };
        }

        private ImageFolder folder() throws IOException {
            try {
                return ImageFolder.scan(dir);
            } catch (IOException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
            }
        }

        LabData loadSplit(int channels, int size, ImageConversions conversions) throws IOException {
            LabData loaded = kind.equals("folder") ? folder().decodeSplit(size, channels, conversions)
                    : convert(read(), channels, size, conversions);
            if (loaded.train().size() == 0 || loaded.test().size() == 0) {
                throw new IllegalArgumentException(option + " " + dir + " has too few images to tune and evaluate");
            }
            return loaded;
        }

        /** Loads images filed under some of {@code classNames} (folders), or all of a dataset's. */
        LabeledImages loadSubset(List<String> classNames, int channels, int size, ImageConversions conversions)
                throws IOException {
            if (!kind.equals("folder")) {
                return loadAll(channels, size, conversions);
            }
            try {
                return ImageFolder.decodeSubset(dir, classNames, size, channels, conversions);
            } catch (IOException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
            }
        }

        LabeledImages loadAll(int channels, int size, ImageConversions conversions) throws IOException {
            if (kind.equals("folder")) {
                return folder().decodeAll(size, channels, conversions);
            }
            LabData loaded = convert(read(), channels, size, conversions);
            return LabeledImages.concat(loaded.train(), loaded.test());
        }

        private LabData read() throws IOException {
            return switch (kind) {
                case "fashion-mnist" -> IdxDataset.fashionMnist(dir);
                case "mnist" -> IdxDataset.mnist(dir);
                case "cifar10" -> Cifar10Binary.load(dir);
                default -> Gtsrb.load(dir);
            };
        }

        private static LabData convert(LabData data, int channels, int size, ImageConversions conversions) {
            return new LabData(data.source(), data.train().converted(channels, size, conversions),
                    data.test().converted(channels, size, conversions));
        }
    }
}
