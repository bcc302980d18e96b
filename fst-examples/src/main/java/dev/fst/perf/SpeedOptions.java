package dev.fst.perf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The speed benchmark's options, validated at once.
 *
 * @param models lab architecture ids, default {@code small-cnn,resnet18}
 * @param images synthetic tuning images, default 2,500 ({@code >= 1})
 * @param epochs FST epochs per run, default 2 ({@code >= 1})
 * @param repeats runs per side and model, alternating sides, default 2 ({@code >= 1})
 * @param batchSize mini-batch size, default 128
 * @param threads intra-op threads on both sides, default the number of cores
 * @param workers PyTorch DataLoader worker processes, default 0 (loading in the training process,
 *     as the Java side does)
 * @param python the interpreter that sees PyTorch, default {@code /usr/bin/python3}
 * @param device {@code cpu} (default) or {@code gpu}
 * @param javaOptions extra JVM options for the Java child, default none
 * @param javaArguments extra {@link JavaPurifyRun} arguments, for ablations such as {@code
 *     --channels-last false}, default none
 * @param out the report folder, default {@code out/speed}
 * @param matmulSize the matrix size of the rate measurement, default 2,048
 * @param timeout the limit for one child run, default 60 minutes
 * @param smoke whether this is the CI smoke run (tiny sizes)
 */
public record SpeedOptions(
        List<String> models,
        int images,
        int epochs,
        int repeats,
        int batchSize,
        int threads,
        int workers,
        String python,
        String device,
        List<String> javaOptions,
        List<String> javaArguments,
        Path out,
        int matmulSize,
        Duration timeout,
        boolean smoke) {

    /** The usage line printed with every option error. */
    public static final String USAGE = "options: --models LIST (small-cnn,resnet18), --images N (2500), --epochs N (2),"
            + " --repeats N (2), --batch-size N (128), --threads N (cores), --workers N (0), --python PATH"
            + " (/usr/bin/python3), --device cpu|gpu (cpu), --java-opts 'JVM OPTIONS' (none), --java-args"
            + " 'JavaPurifyRun ARGUMENTS' (none), --out DIR (out/speed),"
            + " --matmul-size N (2048), --timeout-minutes N (60), --smoke (24 images, 1 epoch, 1 repeat)";

    /**
     * Parses command-line arguments.
     *
     * @param args the arguments
     * @return the options
     * @throws IllegalArgumentException naming the bad option and listing the valid ones
     */
    public static SpeedOptions parse(String... args) {
        List<String> models = List.of("small-cnn", "resnet18");
        Integer images = null;
        Integer epochs = null;
        Integer repeats = null;
        int batchSize = 128;
        int threads = Runtime.getRuntime().availableProcessors();
        int workers = 0;
        String python = "/usr/bin/python3";
        String device = "cpu";
        List<String> javaOptions = List.of();
        List<String> javaArguments = List.of();
        Path out = Path.of("out", "speed");
        Integer matmulSize = null;
        int timeoutMinutes = 60;
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--smoke")) {
                smoke = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value; " + USAGE);
            }
            String value = args[++i];
            switch (option) {
                case "--models" -> models = models(value);
                case "--images" -> images = positive(option, value);
                case "--epochs" -> epochs = positive(option, value);
                case "--repeats" -> repeats = positive(option, value);
                case "--batch-size" -> batchSize = positive(option, value);
                case "--threads" -> threads = positive(option, value);
                case "--workers" -> workers = positive(option, value);
                case "--python" -> python = value;
                case "--device" -> {
                    if (!value.equals("cpu") && !value.equals("gpu")) {
                        throw new IllegalArgumentException("--device must be cpu or gpu but was " + value);
                    }
                    device = value;
                }
                case "--java-opts" -> javaOptions = words(value);
                case "--java-args" -> javaArguments = words(value);
                case "--out" -> out = Path.of(value);
                case "--matmul-size" -> matmulSize = positive(option, value);
                case "--timeout-minutes" -> timeoutMinutes = positive(option, value);
                default -> throw new IllegalArgumentException("unknown option " + option + "; " + USAGE);
            }
        }
        return new SpeedOptions(models,
                images != null ? images : smoke ? 24 : 2500,
                epochs != null ? epochs : smoke ? 1 : 2,
                repeats != null ? repeats : smoke ? 1 : 2,
                batchSize, threads, workers, python, device, javaOptions, javaArguments, out,
                matmulSize != null ? matmulSize : smoke ? 256 : 2048,
                Duration.ofMinutes(timeoutMinutes), smoke);
    }

    private static List<String> words(String value) {
        return value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
    }

    private static List<String> models(String value) {
        Set<String> seen = new LinkedHashSet<>();
        for (String id : value.split(",")) {
            String model = id.trim();
            if (!model.equals("small-cnn") && !model.equals("resnet18")) {
                throw new IllegalArgumentException("--models takes small-cnn and resnet18 (the models the Python side"
                        + " builds) but got " + model);
            }
            if (!seen.add(model)) {
                throw new IllegalArgumentException("--models lists " + model + " twice");
            }
        }
        return List.copyOf(seen);
    }

    private static int positive(String option, String value) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs an integer but got " + value);
        }
        boolean allowZero = option.equals("--workers");
        if (n < (allowZero ? 0 : 1)) {
            throw new IllegalArgumentException(option + " must be >= " + (allowZero ? 0 : 1) + " but was " + n);
        }
        return n;
    }
}
