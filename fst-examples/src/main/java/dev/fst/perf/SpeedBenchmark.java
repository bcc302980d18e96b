package dev.fst.perf;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import dev.fst.lab.data.Cifar10Binary;
import dev.fst.lab.data.SyntheticCifar;
import dev.fst.lab.model.Architecture;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs FST in Java ({@link JavaPurifyRun}) and in plain PyTorch ({@code fst_reference.py}) on the
 * same synthetic tuning set, alternating the two sides in child processes, and reports images per
 * second for the whole purification, the Java/PyTorch ratio, peak resident memory and the FLOP
 * floor. Writes {@code report.md}, {@code runs.csv}, the tuning set and every child's log into
 * {@code --out}.
 *
 * <p>Run: {@code mvn -q -B -pl fst-examples exec:java -Dlab.main=dev.fst.perf.SpeedBenchmark}
 * (options in {@link SpeedOptions#usage()}); the Python side needs PyTorch, on Debian {@code
 * apt-get install python3-torch} and {@code --python /usr/bin/python3} (the default).
 */
public final class SpeedBenchmark {

    private static final long DATA_SEED = 7;
    private static final String SCRIPT = "python/fst_reference.py";

    private SpeedBenchmark() {}

    /**
     * Runs the comparison and prints the report.
     *
     * @param args see {@link SpeedOptions#usage()}
     * @throws IOException if the output folder cannot be written or a child cannot start
     */
    public static void main(String[] args) throws IOException {
        SpeedReport report = run(SpeedOptions.parse(args));
        System.out.println();
        System.out.print(report.toMarkdown());
    }

    /**
     * Runs the comparison and writes the report files.
     *
     * @param options the options
     * @return the report
     * @throws IOException if the output folder cannot be written or a child cannot start
     */
    public static SpeedReport run(SpeedOptions options) throws IOException {
        Path out = options.out();
        Files.createDirectories(out.resolve("logs"));
        Path data = out.resolve("tuning.bin");
        Cifar10Binary.write(SyntheticCifar.images(options.images(), DATA_SEED), data);
        Path script = out.resolve("fst_reference.py");
        try (InputStream in = SpeedBenchmark.class.getClassLoader().getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IOException("the Python side " + SCRIPT + " is missing from the classpath");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Device device = options.device().equals("gpu") ? Device.gpu() : Device.cpu();
        Map<String, Long> flops = new LinkedHashMap<>();
        for (String id : options.models()) {
            try (Model model = Architecture.of(id).newModel(10, 32, 1, Device.cpu())) {
                flops.put(id, FlopCount.trainingFlopsPerImage(model.getBlock(), new Shape(3, 32, 32)));
            }
        }
        double javaMatmul = MatmulRate.flopsPerSecond(options.matmulSize(), options.smoke() ? 1 : 5, device);
        double pythonMatmul = SideRun.number(ChildProcess.run(pythonCommand(options, script, List.of(
                "--matmul", Integer.toString(options.matmulSize()))), out.resolve("logs/matmul-pytorch.log"),
                options.timeout()), "matmulFlopsPerSecond");
        System.out.printf(Locale.ROOT, "float32 matmul %d: Java (libtorch) %.1f GFLOP/s, PyTorch %.1f GFLOP/s%n",
                options.matmulSize(), javaMatmul / 1e9, pythonMatmul / 1e9);

        List<SideRun> runs = new ArrayList<>();
        String javaClasspath = childClasspath();
        for (String model : options.models()) {
            List<String> common = List.of("--data", data.toString(), "--model", model, "--epochs",
                    Integer.toString(options.epochs()), "--batch-size", Integer.toString(options.batchSize()));
            for (int repeat = 1; repeat <= options.repeats(); repeat++) {
                boolean javaFirst = repeat % 2 == 1;
                for (int turn = 0; turn < 2; turn++) {
                    boolean java = javaFirst == (turn == 0);
                    List<String> command = java
                            ? javaCommand(options, javaClasspath, common)
                            : pythonCommand(options, script, common);
                    Path log = out.resolve("logs/" + model + "-" + (java ? "java" : "pytorch") + "-" + repeat + ".log");
                    SideRun run = SideRun.parse(ChildProcess.run(command, log, options.timeout()));
                    runs.add(run);
                    System.out.println("run " + runs.size() + ": " + run);
                }
            }
        }
        SpeedReport report = new SpeedReport(options, machine(), flops, javaMatmul, pythonMatmul, runs);
        Files.writeString(out.resolve("report.md"), report.toMarkdown(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("runs.csv"), report.toCsv(), StandardCharsets.UTF_8);
        return report;
    }

    private static List<String> javaCommand(SpeedOptions options, String classpath, List<String> common) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(options.javaOptions());
        for (String property : List.of("ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR")) {
            String value = System.getProperty(property);
            if (value != null) {
                command.add("-D" + property + "=" + value);
            }
        }
        command.add("-Dai.djl.pytorch.num_threads=" + options.threads());
        command.add("-Dai.djl.pytorch.num_interop_threads=" + options.threads());
        command.add("-cp");
        command.add(classpath);
        command.add(JavaPurifyRun.class.getName());
        command.addAll(common);
        command.addAll(List.of("--device", options.device()));
        command.addAll(options.javaArguments());
        return command;
    }

    private static List<String> pythonCommand(SpeedOptions options, Path script, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of(options.python(), script.toString()));
        command.addAll(arguments);
        command.addAll(List.of("--threads", Integer.toString(options.threads()), "--workers",
                Integer.toString(options.workers()), "--device", options.device().equals("gpu") ? "cuda" : "cpu"));
        return command;
    }

    /**
     * The classpath this program runs with: the URLs of its class loader when it has them (as
     * under {@code exec:java}), else {@code java.class.path}.
     */
    private static String childClasspath() {
        List<String> entries = new ArrayList<>();
        for (ClassLoader loader = SpeedBenchmark.class.getClassLoader(); loader != null; loader = loader.getParent()) {
            if (loader instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    try {
                        entries.add(Paths.get(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        entries.add(url.getPath());
                    }
                }
            }
        }
        String own = System.getProperty("java.class.path", "");
        if (!own.isEmpty()) {
            entries.add(own);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static List<String> machine() {
        List<String> lines = new ArrayList<>();
        String cpu = "unknown CPU";
        String flags = "";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && cpu.startsWith("unknown")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                } else if (line.startsWith("flags") && flags.isEmpty()) {
                    flags = line;
                }
            }
        } catch (IOException e) {
            // not Linux: the CPU line stays unknown
        }
        List<String> features = new ArrayList<>();
        for (String flag : List.of("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")) {
            if (flags.matches(".*\\b" + flag + "\\b.*")) {
                features.add(flag);
            }
        }
        lines.add(cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores visible to the JVM, "
                + (features.isEmpty() ? "no AVX2" : String.join(" ", features)));
        lines.add(System.getProperty("os.name") + " " + System.getProperty("os.version") + ", "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        return lines;
    }
}
