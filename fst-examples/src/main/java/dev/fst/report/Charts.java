package dev.fst.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line and scatter charts as PNG, drawn with XChart, for the command's report and the benchmark's figures. */
public final class Charts {

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
    public static void line(Path file, String title, String xLabel, String yLabel, Map<String, double[][]> series,
            boolean logX) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            line(out, title, xLabel, yLabel, series, logX);
        }
    }

    /**
     * Writes a line chart with one series per entry to a stream, as PNG.
     *
     * @param out the stream; not closed
     * @param title the title
     * @param xLabel the x axis
     * @param yLabel the y axis
     * @param series name to (x values, y values)
     * @param logX whether the x axis is logarithmic
     * @throws IOException if writing fails
     */
    public static void line(java.io.OutputStream out, String title, String xLabel, String yLabel,
            Map<String, double[][]> series, boolean logX) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(440).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        for (Map.Entry<String, double[][]> entry : series.entrySet()) {
            chart.addSeries(entry.getKey(), entry.getValue()[0], entry.getValue()[1]).setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Writes a scatter chart with one series per entry.
     *
     * @param file the PNG to write
     * @param title the title
     * @param series name to (x values, y values)
     */
    public static void scatter(Path file, String title, Map<String, double[][]> series) throws IOException {
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
}
