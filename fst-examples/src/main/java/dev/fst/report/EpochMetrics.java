package dev.fst.report;

import ai.djl.Model;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.eval.Evaluator;
import dev.fst.tuning.EpochRecord;
import dev.fst.tuning.TuningListener;
import dev.fst.tuning.TuningView;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener that measures clean accuracy and attack success rate after every epoch of a tuning
 * run (inference mode, so BatchNorm statistics are not touched): the curves of the FST paper's
 * efficiency figure. The model as it is when the listener is made (the backdoored model, before
 * {@code purify}) is epoch 0. One listener serves one run.
 */
public final class EpochMetrics implements TuningListener {

    /**
     * One point of the curves.
     *
     * @param epoch 0 for the model before tuning
     * @param cleanAccuracy in [0, 1]
     * @param attackSuccessRate in [0, 1]
     */
    public record Point(int epoch, double cleanAccuracy, double attackSuccessRate) {}

    private final RandomAccessDataset clean;
    private final RandomAccessDataset triggered;
    private final int target;
    private final Point start;
    private final List<List<Point>> runs = new ArrayList<>();

    private EpochMetrics(RandomAccessDataset clean, RandomAccessDataset triggered, int target, Point start) {
        this.clean = clean;
        this.triggered = triggered;
        this.target = target;
        this.start = start;
    }

    /**
     * Measures {@code model} as it is now (epoch 0, before any tuning) and returns the listener
     * that measures the model of each run after every epoch, through the run's {@link TuningView}.
     *
     * @param model the model about to be tuned
     * @param clean the clean test set
     * @param triggered the triggered non-target test set, or {@code null} to measure clean accuracy only
     * @param target the attack's target class
     * @return the listener
     */
    public static EpochMetrics startingFrom(Model model, RandomAccessDataset clean, RandomAccessDataset triggered,
            int target) {
        return new EpochMetrics(clean, triggered, target, measure(model, clean, triggered, target, 0));
    }

    @Override
    public void onTuningStart(TuningView run) {
        List<Point> points = new ArrayList<>();
        points.add(start);
        runs.add(points);
    }

    @Override
    public void onEpochEnd(TuningView run, EpochRecord record) {
        if (runs.isEmpty()) {
            onTuningStart(run);
        }
        runs.get(runs.size() - 1).add(measure(run.model(), clean, triggered, target, record.epoch()));
    }

    private static Point measure(Model model, RandomAccessDataset clean, RandomAccessDataset triggered, int target,
            int epoch) {
        return new Point(epoch, Evaluator.accuracy(model, clean).value(),
                triggered == null ? Double.NaN : Evaluator.attackSuccessRate(model, triggered, target).value());
    }

    /**
     * Returns the points of the last run.
     *
     * @return epoch 0 (before tuning) to the last epoch; just epoch 0 before any run
     */
    public List<Point> points() {
        return runs.isEmpty() ? List.of(start) : List.copyOf(runs.get(runs.size() - 1));
    }

    /**
     * Returns the points of every run, in order.
     *
     * @return one list per run, each from epoch 0
     */
    public List<List<Point>> runs() {
        return runs.stream().map(List::copyOf).toList();
    }

    /**
     * Writes the chart of one run as PNG: clean accuracy, and the attack success rate when measured,
     * in percent per epoch.
     *
     * @param points the run's points
     * @param title the chart's title
     * @param out the stream; not closed
     * @throws java.io.IOException if writing fails
     */
    public static void chart(List<Point> points, String title, java.io.OutputStream out) throws java.io.IOException {
        java.util.Map<String, double[][]> series = new java.util.LinkedHashMap<>();
        double[] x = points.stream().mapToDouble(Point::epoch).toArray();
        series.put("clean accuracy (evaluation images)",
                new double[][] {x, points.stream().mapToDouble(p -> 100 * p.cleanAccuracy()).toArray()});
        if (points.stream().noneMatch(p -> Double.isNaN(p.attackSuccessRate()))) {
            series.put("attack success rate",
                    new double[][] {x, points.stream().mapToDouble(p -> 100 * p.attackSuccessRate()).toArray()});
        }
        Charts.line(out, title, "epoch (0 = before purifying)", "%", series, false);
    }

    /**
     * Turns per-method points into chart series of one metric, in percent.
     *
     * @param curves method name to points
     * @param asr {@code true} for the attack success rate, {@code false} for clean accuracy
     * @return name to (epochs, values)
     */
    public static java.util.Map<String, double[][]> series(java.util.Map<String, java.util.List<Point>> curves, boolean asr) {
        java.util.Map<String, double[][]> out = new java.util.LinkedHashMap<>();
        curves.forEach((name, points) -> {
            double[] x = points.stream().mapToDouble(Point::epoch).toArray();
            double[] y = points.stream().mapToDouble(p -> 100 * (asr ? p.attackSuccessRate() : p.cleanAccuracy()))
                    .toArray();
            out.put(name, new double[][] {x, y});
        });
        return out;
    }
}
