package dev.fst.bench;

import ai.djl.Model;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.eval.Evaluator;
import dev.fst.tuning.EpochRecord;
import dev.fst.tuning.TuningListener;
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

    private final Model model;
    private final RandomAccessDataset clean;
    private final RandomAccessDataset triggered;
    private final int target;
    private final List<Point> points = new ArrayList<>();

    /**
     * Creates the listener for one run on {@code model} and measures the model as it is now (epoch
     * 0).
     *
     * @param model the model being tuned
     * @param clean the clean test set
     * @param triggered the triggered non-target test set
     * @param target the attack's target class
     */
    public EpochMetrics(Model model, RandomAccessDataset clean, RandomAccessDataset triggered, int target) {
        this.model = model;
        this.clean = clean;
        this.triggered = triggered;
        this.target = target;
        measure(0);
    }

    @Override
    public void onEpochEnd(EpochRecord record) {
        measure(record.epoch());
    }

    private void measure(int epoch) {
        points.add(new Point(epoch, Evaluator.accuracy(model, clean).value(),
                Evaluator.attackSuccessRate(model, triggered, target).value()));
    }

    /**
     * Returns the points measured so far.
     *
     * @return epoch 0 (before tuning) to the last epoch
     */
    public List<Point> points() {
        return List.copyOf(points);
    }

    /**
     * Turns per-method points into chart series of one metric, in percent.
     *
     * @param curves method name to points
     * @param asr {@code true} for the attack success rate, {@code false} for clean accuracy
     * @return name to (epochs, values)
     */
    static java.util.Map<String, double[][]> series(java.util.Map<String, java.util.List<Point>> curves, boolean asr) {
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
