package dev.fst.perf;

import dev.fst.lab.OptionParsing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.FeatureShiftTuner;
import dev.fst.data.Augmentation;
import dev.fst.internal.EngineAdapter;
import dev.fst.lab.data.Cifar10Binary;
import dev.fst.lab.data.LabeledImages;
import dev.fst.lab.model.Architecture;
import dev.fst.tuning.EpochRecord;
import dev.fst.tuning.PurificationResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The Java side of the speed comparison, run in its own JVM by {@link SpeedBenchmark}: reads a
 * CIFAR-10 binary file of tuning images, builds a fresh lab model and purifies it with {@link
 * FeatureShiftTuner}, timing the {@code purify} call only. Prints the run as one JSON line (see
 * {@link SideRun}).
 *
 * <p>Options (the same as the Python side's): {@code --data FILE} (required), {@code --model ID}
 * (a lab architecture, default {@code small-cnn}), {@code --epochs N} (10), {@code --batch-size N}
 * (128), {@code --lr X} (0.01), {@code --alpha X} (0.2), {@code --augment crop-flip|none}
 * ({@code crop-flip}), {@code --seed N} (1), {@code --device cpu|gpu} (DJL's default), and for
 * ablations {@code --channels-last true|false} (the library's default, {@code true}), and
 * {@code --profile FILE} to write libtorch's
 * operator trace of the purification (Chrome trace JSON; read it with {@link TraceSummary}).
 */
public final class JavaPurifyRun {

    private JavaPurifyRun() {}

    /** The options. */
    @Command(mixinStandardHelpOptions = true, name = "java-purify-run", sortOptions = false, description = "One Java side run of the speed comparison.")
    private static final class Args {
        @Option(names = "--data", paramLabel = "FILE", description = "a CIFAR-10 binary file (required)")
        Path data;
        @Option(names = "--model", paramLabel = "NAME", description = "lab architecture (default small-cnn)")
        String model = "small-cnn";
        @Option(names = "--epochs", paramLabel = "N", description = "default 10")
        int epochs = 10;
        @Option(names = "--batch-size", paramLabel = "N", description = "default 128")
        int batchSize = 128;
        @Option(names = "--lr", paramLabel = "X", description = "default 0.01")
        double lr = 0.01;
        @Option(names = "--alpha", paramLabel = "X", description = "default 0.2")
        double alpha = 0.2;
        @Option(names = "--augment", paramLabel = "A", description = "crop-flip (default) or none")
        String augment = "crop-flip";
        @Option(names = "--seed", paramLabel = "N", description = "default 1")
        long seed = 1;
        @Option(names = "--device", paramLabel = "D", description = "cpu, gpu or gpu:N (default: DJL's)")
        String device;
        @Option(names = "--channels-last", paramLabel = "BOOL", arity = "1", description = "default true")
        boolean channelsLast = true;
        @Option(names = "--profile", paramLabel = "FILE", description = "write a libtorch profiler trace")
        Path profile;
    }

    /**
     * Runs one purification and prints its JSON line.
     *
     * @param args see the class documentation
     * @throws IOException if the data file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Args a = OptionParsing.parse(new Args(), args);
        Path data = a.data;
        String model = a.model;
        int epochs = a.epochs;
        int batchSize = a.batchSize;
        double lr = a.lr;
        double alpha = a.alpha;
        String augment = a.augment;
        long seed = a.seed;
        Device device = a.device == null ? null : Device.fromName(a.device);
        boolean channelsLast = a.channelsLast;
        Path profile = a.profile;
        if (data == null) {
            throw new IllegalArgumentException("--data FILE (a CIFAR-10 binary file) is required");
        }
        Augmentation augmentation = switch (augment) {
            case "crop-flip" -> Augmentation.cropAndFlip();
            case "none" -> Augmentation.none();
            default -> throw new IllegalArgumentException("--augment must be crop-flip or none but was " + augment);
        };
        LabeledImages images = Cifar10Binary.read(List.of(data), Cifar10Binary.CLASS_NAMES);
        try (Model net = Architecture.of(model).newModel(10, 32, seed, device);
                NDManager dataManager = net.getNDManager().newSubManager()) {
            RandomAccessDataset dataset = images.toDataset(dataManager);
            FeatureShiftTuner tuner = FeatureShiftTuner.paperBuilder()
                    .alpha(alpha).epochs(epochs).batchSize(batchSize).learningRate(lr)
                    .augmentation(augmentation).seed(seed).channelsLast(channelsLast).build();
            if (profile != null) {
                EngineAdapter.startProfiler();
            }
            long start = System.nanoTime();
            PurificationResult result = tuner.purify(net, dataset);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (profile != null) {
                EngineAdapter.stopProfiler(profile.toAbsolutePath().toString());
            }
            System.out.println(json(model, images.size(), epochs, seconds, result));
        }
    }

    private static String json(String model, int images, int epochs, double seconds, PurificationResult result) {
        Engine engine = Engine.getEngine("PyTorch");
        String runtime = String.format(Locale.ROOT, "%s, %d intra-op / %d inter-op threads, device %s, channelsLast %s",
                dev.fst.internal.Environment.versions(engine), EngineAdapter.intraOpThreads(),
                EngineAdapter.interOpThreads(), result.device(), result.configuration().shared().channelsLast());
        java.util.Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("side", "java");
        json.put("model", model);
        json.put("images", images);
        json.put("epochs", epochs);
        json.put("seconds", seconds);
        json.put("imagesPerSecond", images * (double) epochs / seconds);
        json.put("peakRssMb", PeakMemory.peakResidentMib());
        json.put("epochLoss", result.epochs().stream().map(EpochRecord::loss).toList());
        json.put("epochAccuracy", result.epochs().stream().map(EpochRecord::tuningAccuracy).toList());
        json.put("runtime", runtime);
        return new com.google.gson.GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create()
                .toJson(json);
    }
}
