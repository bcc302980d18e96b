package dev.fst.perf;

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
import java.util.stream.Collectors;

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
 * ablations {@code --channels-last true|false} and {@code --allocator-tuning true|false} (the
 * library's defaults, {@code true} and {@code false}), and {@code --profile FILE} to write libtorch's
 * operator trace of the purification (Chrome trace JSON; read it with {@link TraceSummary}).
 */
public final class JavaPurifyRun {

    private JavaPurifyRun() {}

    /**
     * Runs one purification and prints its JSON line.
     *
     * @param args see the class documentation
     * @throws IOException if the data file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path data = null;
        String model = "small-cnn";
        int epochs = 10;
        int batchSize = 128;
        double lr = 0.01;
        double alpha = 0.2;
        String augment = "crop-flip";
        long seed = 1;
        Device device = null;
        boolean channelsLast = true;
        boolean allocatorTuning = false;
        Path profile = null;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--data" -> data = Path.of(value);
                case "--model" -> model = value;
                case "--epochs" -> epochs = Integer.parseInt(value);
                case "--batch-size" -> batchSize = Integer.parseInt(value);
                case "--lr" -> lr = Double.parseDouble(value);
                case "--alpha" -> alpha = Double.parseDouble(value);
                case "--augment" -> augment = value;
                case "--seed" -> seed = Long.parseLong(value);
                case "--device" -> device = Device.fromName(value);
                case "--channels-last" -> channelsLast = Boolean.parseBoolean(value);
                case "--allocator-tuning" -> allocatorTuning = Boolean.parseBoolean(value);
                case "--profile" -> profile = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --data, --model,"
                        + " --epochs, --batch-size, --lr, --alpha, --augment, --seed, --device, --channels-last,"
                        + " --allocator-tuning, --profile");
            }
        }
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
                    .augmentation(augmentation).seed(seed).channelsLast(channelsLast)
                    .allocatorTuning(allocatorTuning).build();
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
        String losses = result.epochs().stream().map(EpochRecord::loss)
                .map(v -> String.format(Locale.ROOT, "%.6f", v)).collect(Collectors.joining(", ", "[", "]"));
        String accuracies = result.epochs().stream().map(EpochRecord::tuningAccuracy)
                .map(v -> String.format(Locale.ROOT, "%.6f", v)).collect(Collectors.joining(", ", "[", "]"));
        Engine engine = Engine.getEngine("PyTorch");
        String runtime = String.format(Locale.ROOT, "DJL %s, libtorch %s, %d intra-op / %d inter-op threads, Java %s,"
                + " device %s, channelsLast %s, allocatorTuning %s", Engine.getDjlVersion(), engine.getVersion(),
                EngineAdapter.intraOpThreads(), EngineAdapter.interOpThreads(), System.getProperty("java.version"),
                result.device(), result.configuration().get("channelsLast"),
                result.configuration().get("allocatorTuning"));
        return String.format(Locale.ROOT, "{\"side\": \"java\", \"model\": \"%s\", \"images\": %d, \"epochs\": %d,"
                + " \"seconds\": %.4f, \"imagesPerSecond\": %.4f, \"peakRssMb\": %.1f, \"epochLoss\": %s,"
                + " \"epochAccuracy\": %s, \"runtime\": \"%s\"}", model, images, epochs, seconds,
                images * (double) epochs / seconds, PeakMemory.peakResidentMib(), losses, accuracies, runtime);
    }
}
