package dev.fst.report;

import dev.fst.AlphaSearch;
import dev.fst.report.Charts;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The picture of FST's automatic alpha: held-out clean accuracy after the run of every alpha tried,
 * with the accuracy before purification and the lowest accuracy the budget allows, drawn from the
 * run's {@link AlphaSearch} record. Used by the {@code purify} command (next to the model) and by
 * the benchmark's figures.
 */
public final class AlphaChart {

    private AlphaChart() {}

    /**
     * Writes the chart as PNG.
     *
     * @param search the search record
     * @param budget the accuracy budget, in points
     * @param out the stream; not closed
     * @throws IOException if writing fails
     */
    public static void write(AlphaSearch search, double budget, OutputStream out) throws IOException {
        int n = search.trials().size();
        double[] alphas = new double[n];
        double[] after = new double[n];
        double before = search.trials().get(0).check().before().percent();
        for (int i = 0; i < n; i++) {
            alphas[i] = search.trials().get(i).alpha();
            after[i] = search.trials().get(i).check().after().percent();
        }
        double low = Math.min(alphas[n - 1], alphas[0]) / 2;
        double high = Math.max(alphas[n - 1], alphas[0]) * 2;
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("held-out accuracy after purifying", new double[][] {alphas, after});
        series.put("before purifying", new double[][] {{low, high}, {before, before}});
        series.put("budget: before - " + budget + " points", new double[][] {{low, high},
            {before - budget, before - budget}});
        Charts.line(out, "FST: alpha chosen on held-out clean data (kept: " + search.chosen() + ")",
                "alpha (" + search.scale().name().toLowerCase(java.util.Locale.ROOT) + " scale)",
                "held-out clean accuracy %", series, alphas[0] > 0 && alphas[n - 1] > 0);
    }
}
