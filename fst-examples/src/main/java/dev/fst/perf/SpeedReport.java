package dev.fst.perf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison's results as a value: every child run, the FLOP counts and the measured
 * matrix-multiply rates, with the summary table (medians of images per second, the larger peak
 * memory) in Markdown and every run in CSV.
 *
 * @param options the options of the benchmark
 * @param machine the CPU or GPU, core count and library versions, one line each
 * @param trainingFlops per model, FLOPs of one training step per image
 * @param javaMatmul the Java side's (libtorch's) float32 matrix-multiply rate, FLOP/s
 * @param pythonMatmul the Python side's rate, FLOP/s
 * @param runs every run, in the order they ran
 */
public record SpeedReport(
        SpeedOptions options,
        List<String> machine,
        Map<String, Long> trainingFlops,
        double javaMatmul,
        double pythonMatmul,
        List<SideRun> runs) {

    /** One model's summary row. */
    public record Summary(String model, double javaImagesPerSecond, double pythonImagesPerSecond,
            double javaPeakMib, double pythonPeakMib, double floorImagesPerSecond) {

        /** @return Java images/s over PyTorch images/s */
        public double speedRatio() {
            return javaImagesPerSecond / pythonImagesPerSecond;
        }

        /** @return Java peak memory over PyTorch peak memory */
        public double memoryRatio() {
            return javaPeakMib / pythonPeakMib;
        }
    }

    /**
     * Summarises each model: the median images per second of each side's runs and the larger of
     * each side's peak memories.
     *
     * @return one row per model that has runs of both sides, in the order of the options
     */
    public List<Summary> summaries() {
        List<Summary> rows = new ArrayList<>();
        double rate = Math.max(javaMatmul, pythonMatmul);
        for (String model : options.models()) {
            double[] java = rates(model, "java");
            double[] python = rates(model, "pytorch");
            if (java.length == 0 || python.length == 0) {
                continue;
            }
            rows.add(new Summary(model, median(java), median(python), peak(model, "java"), peak(model, "pytorch"),
                    rate / trainingFlops.get(model)));
        }
        return rows;
    }

    private double[] rates(String model, String side) {
        return runs.stream().filter(r -> r.model().equals(model) && r.side().equals(side))
                .mapToDouble(SideRun::imagesPerSecond).toArray();
    }

    private double peak(String model, String side) {
        return runs.stream().filter(r -> r.model().equals(model) && r.side().equals(side))
                .mapToDouble(SideRun::peakRssMib).max().orElse(Double.NaN);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Formats the report as Markdown: summary table, floor, every run and the machine.
     *
     * @return the Markdown text
     */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "FST, %d synthetic 32x32 images x %d epochs, batch %d, %d threads, device %s;"
                + " medians of %d alternating runs per side%s%n%n", options.images(), options.epochs(),
                options.batchSize(), options.threads(), options.device(), options.repeats(),
                options.javaOptions().isEmpty() && options.javaArguments().isEmpty() ? ""
                        : "; Java child with " + String.join(" ", options.javaOptions()) + " "
                                + String.join(" ", options.javaArguments())));
        md.append("| model | Java images/s | PyTorch images/s | Java / PyTorch | floor images/s | Java % of floor"
                + " | PyTorch % of floor | Java peak RSS MiB | PyTorch peak RSS MiB | memory Java / PyTorch |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Summary s : summaries()) {
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | **%.2f** | %.1f | %.0f %% | %.0f %% | %.0f | %.0f | %.2f |%n",
                    s.model(), s.javaImagesPerSecond(), s.pythonImagesPerSecond(), s.speedRatio(),
                    s.floorImagesPerSecond(), 100 * s.javaImagesPerSecond() / s.floorImagesPerSecond(),
                    100 * s.pythonImagesPerSecond() / s.floorImagesPerSecond(), s.javaPeakMib(), s.pythonPeakMib(),
                    s.memoryRatio()));
        }
        md.append(String.format(Locale.ROOT, "%nFloor: training FLOPs per image (3 x forward multiply-adds x 2) over the"
                + " best measured float32 matrix-multiply rate, %.1f GFLOP/s (libtorch in Java %.1f, PyTorch %.1f):%n%n",
                Math.max(javaMatmul, pythonMatmul) / 1e9, javaMatmul / 1e9, pythonMatmul / 1e9));
        for (Map.Entry<String, Long> e : trainingFlops.entrySet()) {
            md.append(String.format(Locale.ROOT, "- %s: %.4f GFLOP per image and step%n", e.getKey(), e.getValue() / 1e9));
        }
        md.append("\nEvery run, in order:\n\n| # | side | model | seconds | images/s | peak RSS MiB | final loss |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < runs.size(); i++) {
            SideRun r = runs.get(i);
            md.append(String.format(Locale.ROOT, "| %d | %s | %s | %.2f | %.1f | %.0f | %.4f |%n", i + 1, r.side(),
                    r.model(), r.seconds(), r.imagesPerSecond(), r.peakRssMib(), r.finalLoss()));
        }
        md.append("\nMachine and runtimes:\n\n");
        for (String line : machine) {
            md.append("- ").append(line).append('\n');
        }
        Map<String, String> runtimes = new LinkedHashMap<>();
        for (SideRun r : runs) {
            runtimes.putIfAbsent(r.side(), r.runtime());
        }
        runtimes.forEach((side, runtime) -> md.append("- ").append(side).append(": ").append(runtime).append('\n'));
        return md.toString();
    }

    /**
     * Formats every run as CSV with a header line.
     *
     * @return the CSV text
     */
    public String toCsv() {
        StringBuilder csv = new StringBuilder();
        try (org.apache.commons.csv.CSVPrinter printer = new org.apache.commons.csv.CSVPrinter(csv,
                org.apache.commons.csv.CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get())) {
            printer.printRecord("side", "model", "images", "epochs", "seconds", "images_per_second", "peak_rss_mib",
                    "final_loss");
            for (SideRun r : runs) {
                printer.printRecord(r.side(), r.model(), r.images(), r.epochs(),
                        String.format(Locale.ROOT, "%.4f", r.seconds()),
                        String.format(Locale.ROOT, "%.4f", r.imagesPerSecond()),
                        String.format(Locale.ROOT, "%.1f", r.peakRssMib()),
                        String.format(Locale.ROOT, "%.6f", r.finalLoss()));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a StringBuilder does not fail
        }
        return csv.toString();
    }
}
