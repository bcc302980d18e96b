package dev.fst.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's files in one folder: {@code results.csv} (one line per finished cell, appended
 * as cells finish, so an interrupted grid resumes from it), {@code results.json} (the same cells)
 * and {@code results.md} (the paper's Table 2 layout: one row per attack and rate, one column per
 * defense with clean accuracy / ASR, then average and standard-deviation rows).
 */
public final class ResultFiles {

    private final Path dir;

    /**
     * Opens (and creates) the folder.
     *
     * @param dir the folder
     * @throws IOException if it cannot be created
     */
    public ResultFiles(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /**
     * Returns the CSV file.
     *
     * @return {@code results.csv} in the folder
     */
    public Path csv() {
        return dir.resolve("results.csv");
    }

    /**
     * Returns the JSON file.
     *
     * @return {@code results.json} in the folder
     */
    public Path json() {
        return dir.resolve("results.json");
    }

    /**
     * Returns the Markdown file.
     *
     * @return {@code results.md} in the folder
     */
    public Path markdown() {
        return dir.resolve("results.md");
    }

    /**
     * Reads the finished cells.
     *
     * @return the cells in file order; empty when there is no CSV yet
     * @throws IOException if the file cannot be read or a line is malformed (the message names it)
     */
    public List<CellResult> read() throws IOException {
        if (!Files.exists(csv())) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(csv(), StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(CellResult.HEADER)) {
            throw new IOException(csv() + " does not start with the header " + CellResult.HEADER);
        }
        List<CellResult> cells = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                try {
                    cells.add(CellResult.fromCsv(line));
                } catch (IllegalArgumentException e) {
                    throw new IOException(csv() + ": " + e.getMessage(), e);
                }
            }
        }
        return cells;
    }

    /**
     * Appends one finished cell to the CSV (writing the header first for a new file).
     *
     * @param cell the cell
     * @throws IOException if writing fails
     */
    public void append(CellResult cell) throws IOException {
        if (!Files.exists(csv())) {
            Files.writeString(csv(), CellResult.HEADER + "\n", StandardCharsets.UTF_8);
        }
        Files.writeString(csv(), cell.toCsv() + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /**
     * Rewrites the JSON and Markdown files from the cells.
     *
     * @param cells every finished cell
     * @param header lines written above the table (command, tier, machine)
     * @throws IOException if writing fails
     */
    public void writeSummaries(List<CellResult> cells, List<String> header) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("header", header);
        List<Object> list = new ArrayList<>();
        cells.forEach(c -> list.add(c.toMap()));
        root.put("cells", list);
        replace(json(), new com.google.gson.GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                .disableHtmlEscaping().create().toJson(root) + "\n");
        StringBuilder md = new StringBuilder();
        header.forEach(h -> md.append(h).append("\n\n"));
        md.append(table(cells));
        replace(markdown(), md.toString());
    }

    /**
     * Formats the cells as the paper's Table 2: clean accuracy / ASR in percent per attack, rate and
     * defense, with the average and the (population) standard deviation of each column over the rows
     * where the column has a value.
     *
     * @param cells the cells
     * @return Markdown
     */
    public static String table(List<CellResult> cells) {
        Set<String> defenses = new LinkedHashSet<>();
        Set<String> rows = new LinkedHashSet<>();
        Map<String, CellResult> byKey = new LinkedHashMap<>();
        for (CellResult c : cells) {
            defenses.add(c.method());
            rows.add(c.attack() + "@" + c.rate());
            byKey.put(c.attack() + "@" + c.rate() + "/" + c.method(), c);
        }
        StringBuilder sb = new StringBuilder("| attack | rate |");
        defenses.forEach(d -> sb.append(' ').append(d).append(" |"));
        sb.append("\n|---|---|");
        defenses.forEach(d -> sb.append("---|"));
        sb.append('\n');
        for (String row : rows) {
            String[] parts = row.split("@");
            sb.append("| ").append(parts[0]).append(" | ").append(percent(Double.parseDouble(parts[1]))).append(" |");
            for (String d : defenses) {
                CellResult c = byKey.get(row + "/" + d);
                sb.append(c == null ? " — |" : c.failed() ? " failed |" : String.format(" %.2f / %.2f |",
                        100 * c.cleanAccuracy(), 100 * c.attackSuccessRate()));
            }
            sb.append('\n');
        }
        for (String stat : List.of("average", "std")) {
            sb.append("| ").append(stat).append(" | |");
            for (String d : defenses) {
                List<CellResult> column = cells.stream().filter(c -> c.method().equals(d) && !c.failed()).toList();
                double[] acc = column.stream().mapToDouble(c -> 100 * c.cleanAccuracy()).toArray();
                double[] asr = column.stream().mapToDouble(c -> 100 * c.attackSuccessRate()).toArray();
                double a = stat.equals("average") ? mean(acc) : std(acc);
                double b = stat.equals("average") ? mean(asr) : std(asr);
                sb.append(String.format(" %.2f / %.2f |", a, b));
            }
            sb.append('\n');
        }
        sb.append("\nRobust accuracy / DER / P-ASR (robust accuracy and P-ASR in %, DER in [0, 1] against the row's"
                + " `none` cell; — where it was not measured):\n\n");
        sb.append("| attack | rate |");
        defenses.forEach(d -> sb.append(' ').append(d).append(" |"));
        sb.append("\n|---|---|");
        defenses.forEach(d -> sb.append("---|"));
        sb.append('\n');
        Map<String, List<double[]>> columns = new LinkedHashMap<>();
        for (String row : rows) {
            String[] parts = row.split("@");
            sb.append("| ").append(parts[0]).append(" | ").append(percent(Double.parseDouble(parts[1]))).append(" |");
            CellResult none = byKey.get(row + "/none");
            for (String d : defenses) {
                CellResult c = byKey.get(row + "/" + d);
                if (c == null || c.failed()) {
                    sb.append(c == null ? " — |" : " failed |");
                    continue;
                }
                double der = none == null || none.failed() || d.equals("none") ? Double.NaN
                        : dev.fst.eval.DefenseEffectiveness.rating(none.attackSuccessRate(), c.attackSuccessRate(),
                                none.cleanAccuracy(), c.cleanAccuracy());
                double[] values = {100 * c.robustAccuracy(), der, 100 * c.postPurificationAsr()};
                columns.computeIfAbsent(d, k -> new ArrayList<>()).add(values);
                sb.append(String.format(" %.2f / %s / %s |", values[0],
                        Double.isNaN(der) ? "—" : String.format("%.4f", der),
                        Double.isNaN(values[2]) ? "—" : String.format("%.2f", values[2])));
            }
            sb.append('\n');
        }
        for (String stat : List.of("average", "std")) {
            sb.append("| ").append(stat).append(" | |");
            for (String d : defenses) {
                List<double[]> column = columns.getOrDefault(d, List.of());
                sb.append(' ');
                for (int k = 0; k < 3; k++) {
                    final int index = k;
                    double[] v = column.stream().mapToDouble(x -> x[index]).filter(x -> !Double.isNaN(x)).toArray();
                    double value = stat.equals("average") ? mean(v) : std(v);
                    sb.append(k > 0 ? " / " : "").append(Double.isNaN(value) ? "—"
                            : String.format(k == 1 ? "%.4f" : "%.2f", value));
                }
                sb.append(" |");
            }
            sb.append('\n');
        }
        List<CellResult> failed = cells.stream().filter(CellResult::failed).toList();
        if (!failed.isEmpty()) {
            sb.append("\nFailed cells (left out of the average and std rows):\n\n");
            failed.forEach(c -> sb.append("* ").append(c.key()).append(": ").append(c.failure()).append('\n'));
        }
        return sb.toString();
    }

    private static String percent(double rate) {
        return String.format("%s%%", new java.math.BigDecimal(Double.toString(100 * rate)).stripTrailingZeros()
                .toPlainString());
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    private static double std(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return v.length == 0 ? Double.NaN : Math.sqrt(s / v.length);
    }

    private static void replace(Path file, String text) throws IOException {
        dev.fst.io.AtomicFiles.writeString(file, text);
    }
}
