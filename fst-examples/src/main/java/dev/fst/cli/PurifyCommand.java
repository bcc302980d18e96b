package dev.fst.cli;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.FeatureShiftTuner;
import dev.fst.baselines.AdversarialNeuronPruner;
import dev.fst.baselines.FeatureExtractorTuner;
import dev.fst.baselines.FineTuner;
import dev.fst.baselines.FtInitTuner;
import dev.fst.baselines.ImplicitBackdoorUnlearner;
import dev.fst.baselines.LinearProbe;
import dev.fst.baselines.NaturalGradientTuner;
import dev.fst.baselines.NeuralMaskFineTuner;
import dev.fst.baselines.SharpnessAwareTuner;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.head.HeadSelector;
import dev.fst.io.TorchScriptModels;
import dev.fst.lab.attack.Attack;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.Cifar10Binary;
import dev.fst.lab.data.Gtsrb;
import dev.fst.lab.data.ImageFolder;
import dev.fst.lab.data.LabData;
import dev.fst.lab.data.LabeledImages;
import dev.fst.tuning.PurificationException;
import dev.fst.tuning.PurificationResult;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * hundred clean images, and writes the purified model as TorchScript.
 *
 * <pre>
 * purify --model model.pt --data folder:clean_dir --out purified.pt [--method fst] [--trigger badnet]
 * </pre>
 *
 * <p>Steps: check the paths (the input is never written; an existing output is replaced only with
 * {@code --force}); load the images (every fifth image of a flat class folder, or its {@code test/}
 * folder, is held out for evaluation unless {@code --eval-data} is given); load the model with
 * trainable parameters; check that the images fit and the classes exist; warn when training mode
 * has no effect (a model traced in eval mode); measure clean accuracy (and the attack success rate
 * of {@code --trigger}); purify with a progress bar; measure again; write the model atomically and
 * the report as JSON next to it ({@code purified.json} for {@code purified.pt}).
 *
 * <p>Exit codes: 0 success, 2 bad input (one line on stderr naming the problem), 1 the purification
 * itself failed (the input file is untouched either way).
 */
@Command(name = "purify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Purify a backdoored TorchScript classifier with a small clean image set.")
public final class PurifyCommand implements Callable<Integer> {

    /** The method names the command accepts, lower case. */
    public static final List<String> METHODS =
            List.of("fst", "ft", "lp", "fe-tuning", "ft-init", "ft-sam", "ngf", "anp", "i-bau", "nft");

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "TorchScript model to purify")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "SPEC",
            description = "clean images: folder:DIR (one sub-folder per class), cifar10:DIR or gtsrb:DIR")
    private String data;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where the purified model goes")
    private Path out;

    @Option(names = "--method", defaultValue = "fst", paramLabel = "NAME",
            description = "fst (default), ft, lp, fe-tuning, ft-init, ft-sam, ngf, anp, i-bau, nft")
    private String method;

    @Option(names = "--alpha", paramLabel = "X", description = "FST's alpha (default 0.2)")
    private Double alpha;

    @Option(names = "--epochs", paramLabel = "N", description = "tuning epochs (default: the method's)")
    private Integer epochs;

    @Option(names = "--lr", paramLabel = "X", description = "learning rate (default: the method's)")
    private Double learningRate;

    @Option(names = "--batch-size", paramLabel = "N", description = "mini-batch size (default 128)")
    private Integer batchSize;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "seed (default 0)")
    private long seed;

    @Option(names = "--device", paramLabel = "D", description = "cpu, gpu or gpu:N (default: a GPU when present)")
    private String device;

    @Option(names = "--head", paramLabel = "NAME", description = "head layer name(s), comma-separated (default: auto)")
    private String head;

    @Option(names = "--eval-data", paramLabel = "SPEC", description = "clean evaluation images (default: held out of --data)")
    private String evalData;

    @Option(names = "--trigger", paramLabel = "ATTACK",
            description = "measure the attack success rate of this trigger: badnet, badnet-grid, blended, sig,"
                    + " wanet, adaptive-blend")
    private String trigger;

    @Option(names = "--target", defaultValue = "0", paramLabel = "K", description = "the trigger's target class (default 0)")
    private int target;

    @Option(names = "--mean", split = ",", paramLabel = "R,G,B", description = "normalisation mean (default CIFAR-10's)")
    private double[] mean = Preprocessing.CIFAR_MEAN.clone();

    @Option(names = "--std", split = ",", paramLabel = "R,G,B", description = "normalisation std (default CIFAR-10's)")
    private double[] std = Preprocessing.CIFAR_STD.clone();

    @Option(names = "--size", defaultValue = "32", paramLabel = "N", description = "image side (default 32)")
    private int size;

    @Option(names = "--force", description = "replace an existing output file and report")
    private boolean force;

    private PrintStream stdout = System.out;

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
     * @param stderr where errors go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        PurifyCommand command = new PurifyCommand();
        command.stdout = stdout;
        CommandLine line = new CommandLine(command);
        line.setOut(new PrintWriter(stdout, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(stderr, true, StandardCharsets.UTF_8));
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof PurificationException) {
                stderr.println("purify: " + e.getMessage());
                return 1;
            }
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            stderr.println("purify: " + firstLine(message));
            return 2;
        });
        return line.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        Preprocessing preprocessing = new Preprocessing(mean, std, size);
        String methodName = method.toLowerCase(Locale.ROOT).replace("+", "-");
        if (!METHODS.contains(methodName)) {
            throw new IllegalArgumentException("unknown method '" + method + "'; use one of " + String.join(", ", METHODS));
        }
        if (alpha != null && !methodName.equals("fst")) {
            throw new IllegalArgumentException("--alpha applies to --method fst only");
        }
        Attack attack = trigger == null ? null : attack(trigger, target);
        Path report = reportPath(out);
        checkPaths(report);
        LabData tuningData = load(data, "--data");
        LabeledImages tuning = tuningData.train();
        LabeledImages evaluation = evalData == null ? tuningData.test() : all(load(evalData, "--eval-data"));
        if (!evaluation.classNames().equals(tuning.classNames())) {
            throw new IllegalArgumentException("--eval-data has classes " + evaluation.classNames()
                    + " but --data has " + tuning.classNames());
        }
        if (attack != null && target >= tuning.classes()) {
            throw new IllegalArgumentException("--target " + target + " is not one of the " + tuning.classes() + " classes");
        }
        Device dev = device == null ? null : Device.fromName(device);
        Purifier purifier = purifier(methodName);
        Map<String, Object> json = new LinkedHashMap<>();
        try (Model net = TorchScriptModels.load(model, dev); NDManager manager = net.getNDManager().newSubManager()) {
            int classes = checkFit(net, tuning, manager);
            boolean trainModeMatters = TorchScriptModels.trainingModeHasEffect(model, new Shape(3, size, size));
            if (!trainModeMatters) {
                stdout.println("warning: training mode does not change the model's outputs: it was probably traced in"
                        + " eval mode, so its BatchNorm statistics stay frozen (or it has no BatchNorm/dropout);"
                        + " export it with torch.jit.script to tune them");
            }
            RandomAccessDataset tuningSet = preprocessing.toDataset(tuning, manager);
            RandomAccessDataset evalSet = preprocessing.toDataset(evaluation, manager);
            RandomAccessDataset triggered = attack == null ? null
                    : preprocessing.toDataset(attack.triggeredTestSet(evaluation), manager);
            stdout.printf("%s: %d logits; %d tuning images and %d evaluation images of %d classes %s%n", model,
                    classes, tuning.size(), evaluation.size(), tuning.classes(), tuning.classNames());
            Map<String, Object> before = measure(net, evalSet, triggered);
            PurificationResult result = purifier.purify(net, tuningSet);
            Map<String, Object> after = measure(net, evalSet, triggered);
            TorchScriptModels.save(net, out, force);
            json.put("input", model.toAbsolutePath().toString());
            json.put("output", out.toAbsolutePath().toString());
            json.put("method", result.method());
            json.put("configuration", stringify(result.configuration()));
            json.put("details", stringify(result.details()));
            json.put("head", result.headLayers());
            Map<String, Object> pre = new LinkedHashMap<>();
            pre.put("mean", preprocessing.mean());
            pre.put("std", preprocessing.std());
            pre.put("size", size);
            json.put("preprocessing", pre);
            json.put("tuningImages", tuning.size());
            json.put("evaluationImages", evaluation.size());
            Map<String, Object> triggerInfo = new LinkedHashMap<>();
            triggerInfo.put("attack", trigger);
            triggerInfo.put("target", target);
            json.put("trigger", trigger == null ? null : triggerInfo);
            json.put("trainingModeHasEffect", trainModeMatters);
            json.put("before", before);
            json.put("after", after);
            json.put("tuningSeconds", result.wallTime().toMillis() / 1000.0);
            json.put("environment", result.environment());
            writeAtomically(report, Json.write(json));
            stdout.println();
            stdout.println("| model | clean accuracy | attack success rate |");
            stdout.println("|---|---|---|");
            stdout.printf("| before | %s | %s |%n", before.get("cleanAccuracy"), before.getOrDefault("attackSuccessRate", "—"));
            stdout.printf("| after %s | %s | %s |%n", result.method(), after.get("cleanAccuracy"),
                    after.getOrDefault("attackSuccessRate", "—"));
            stdout.printf("wrote %s and %s%n", out, report);
        }
        return 0;
    }

    private void checkPaths(Path report) throws IOException {
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("model file " + model + " does not exist");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("the folder of --out " + out + " does not exist");
        }
        if (Files.exists(out) && Files.isSameFile(out, model)) {
            throw new IllegalArgumentException("--out " + out + " is the input model; choose another file");
        }
        for (Path path : List.of(out, report)) {
            if (Files.exists(path) && !force) {
                throw new IllegalArgumentException(path + " already exists; use --force to replace it");
            }
        }
    }

    private LabData load(String spec, String option) throws IOException {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        Path dir = Path.of(colon < 0 ? "" : spec.substring(colon + 1));
        if (colon < 0 || dir.toString().isBlank()) {
            throw new IllegalArgumentException(option + " must be folder:DIR, cifar10:DIR or gtsrb:DIR but was '" + spec + "'");
        }
        if (!kind.equals("folder") && size != 32) {
            throw new IllegalArgumentException(option + " " + kind + " images are 32x32; --size must be 32");
        }
        LabData loaded = switch (kind) {
            case "folder" -> ImageFolder.load(dir, size);
            case "cifar10" -> Cifar10Binary.load(dir);
            case "gtsrb" -> Gtsrb.load(dir);
            default -> throw new IllegalArgumentException(
                    option + " must be folder:DIR, cifar10:DIR or gtsrb:DIR but was '" + spec + "'");
        };
        if (loaded.train().size() == 0 || loaded.test().size() == 0) {
            throw new IllegalArgumentException(option + " " + dir + " has too few images to tune and evaluate");
        }
        return loaded;
    }

    /** One probe pass: the images must fit and every class of the data must be a logit. */
    private int checkFit(Model net, LabeledImages images, NDManager manager) {
        long logits;
        try (NDManager scope = manager.newSubManager()) {
            NDList x = new NDList(images.select(new int[] {0}).toArray(scope));
            try {
                Shape shape = net.getBlock().forward(new ParameterStore(scope, false), x, false).singletonOrThrow().getShape();
                logits = shape.dimension() == 2 ? shape.get(1) : -1;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("images of " + size + "x" + size + " do not fit the model: "
                        + firstLine(e.getMessage()) + " (set --size)", e);
            }
        }
        if (logits < 0) {
            throw new IllegalArgumentException("the model does not return (batch, classes) logits");
        }
        if (images.classes() > logits) {
            throw new IllegalArgumentException("the data has " + images.classes() + " classes " + images.classNames()
                    + " but the model has only " + logits + " outputs");
        }
        return (int) logits;
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
        }
        return m;
    }

    private Purifier purifier(String name) {
        return switch (name) {
            case "fst" -> {
                FeatureShiftTuner.Builder b = configure(FeatureShiftTuner.builder());
                yield (alpha != null ? b.alpha(alpha) : b).build();
            }
            case "ft" -> configure(FineTuner.builder()).build();
            case "lp" -> configure(LinearProbe.builder()).build();
            case "fe-tuning" -> configure(FeatureExtractorTuner.builder()).build();
            case "ft-init" -> configure(FtInitTuner.builder()).build();
            case "ft-sam" -> configure(SharpnessAwareTuner.builder()).build();
            case "ngf" -> configure(NaturalGradientTuner.builder()).build();
            case "anp" -> configure(AdversarialNeuronPruner.builder()).build();
            case "i-bau" -> configure(ImplicitBackdoorUnlearner.builder()).build();
            case "nft" -> configure(NeuralMaskFineTuner.builder()).build();
            default -> throw new IllegalArgumentException("unknown method '" + name + "'");
        };
    }

    private <B extends TunerBuilder<B>> B configure(B builder) {
        builder.seed(seed).listener(TuningListener.progressBar());
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
            builder.device(Device.fromName(device));
        }
        return builder;
    }

    private static Attack attack(String name, int target) {
        String key = name.toLowerCase(Locale.ROOT);
        if (!Attacks.NAMES.contains(key) || Attacks.needsSurrogate(key)) {
            throw new IllegalArgumentException("unknown --trigger '" + name + "'; use badnet, badnet-grid, blended, sig,"
                    + " wanet or adaptive-blend");
        }
        if (target < 0) {
            throw new IllegalArgumentException("--target must be >= 0 but was " + target);
        }
        return Attacks.create(key, target, null);
    }

    private static LabeledImages all(LabData data) {
        LabeledImages a = data.train();
        LabeledImages b = data.test();
        int n = a.size() + b.size();
        byte[] pixels = new byte[n * a.imageBytes()];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            LabeledImages from = i < a.size() ? a : b;
            int index = i < a.size() ? i : i - a.size();
            int[] image = from.image(index);
            for (int k = 0; k < image.length; k++) {
                pixels[i * image.length + k] = (byte) image[k];
            }
            labels[i] = from.label(index);
        }
        return LabeledImages.of(pixels, labels, a.height(), a.width(), a.classNames());
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".part");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static Path reportPath(Path output) {
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return output.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
    }

    private static Map<String, Object> stringify(Map<String, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, v instanceof Number || v instanceof Boolean ? v : String.valueOf(v)));
        return out;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
