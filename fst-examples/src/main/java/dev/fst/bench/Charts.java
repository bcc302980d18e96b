package dev.fst.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line charts as PNG files, drawn with XChart. */
final class Charts {

    private Charts() {}

    /**
     * Writes a line chart with one series per entry.
     *
     * @param file the PNG to write
     * @param title the title
     * @param xLabel the x axis
     * @param yLabel the y axis
     * @param series name to (x values, y values)
     * @param logX whether the x axis is logarithmic
     */
    static void line(Path file, String title, String xLabel, String yLabel, Map<String, double[][]> series,
            boolean logX) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(440).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        for (Map.Entry<String, double[][]> entry : series.entrySet()) {
            chart.addSeries(entry.getKey(), entry.getValue()[0], entry.getValue()[1]).setMarker(SeriesMarkers.CIRCLE);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Writes a scatter chart with one series per entry.
     *
     * @param file the PNG to write
     * @param title the title
     * @param series name to (x values, y values)
     */
    static void scatter(Path file, String title, Map<String, double[][]> series) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(560).title(title).build();
        chart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setAxisTicksVisible(false);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        for (Map.Entry<String, double[][]> entry : series.entrySet()) {
            chart.addSeries(entry.getKey(), entry.getValue()[0], entry.getValue()[1]);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Turns per-method points into chart series of one metric, in percent.
     *
     * @param curves method name to points
     * @param asr {@code true} for the attack success rate, {@code false} for clean accuracy
     * @return name to (epochs, values)
     */
    static Map<String, double[][]> series(Map<String, List<EpochMetrics.Point>> curves, boolean asr) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        curves.forEach((name, points) -> {
            double[] x = points.stream().mapToDouble(EpochMetrics.Point::epoch).toArray();
            double[] y = points.stream().mapToDouble(p -> 100 * (asr ? p.attackSuccessRate() : p.cleanAccuracy()))
                    .toArray();
            out.put(name, new double[][] {x, y});
        });
        return out;
    }
}
