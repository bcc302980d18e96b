package dev.fst.lab.attack;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.common.base.Preconditions;
import dev.fst.lab.data.LabeledImages;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Label-Consistent (Turner et al. 2019), clean-label: target-class training images are first made
 * hard to classify with an untargeted L-infinity PGD attack against a surrogate model ({@code
 * epsilon = 8/255}, step {@code 1.5/255}, no random start, on [0, 1] images; stored as 8-bit), then
 * stamped with the four-corner 3x3 trigger; labels are kept. Test images (clean, non-target) get the
 * four-corner trigger only.
 *
 * <p>The reference crafts its perturbations against an adversarially trained ResNet-18 with 100
 * steps; the lab uses whatever surrogate it is given (the lab trains a clean model of the same
 * architecture on the clean training set) and a configurable number of steps.
 *
 * <p>The corner patterns (+ = 255, - = 0), rows top to bottom, inside the outermost three rows and
 * columns: top-left and bottom-left {@code + - - / - + - / + - +}; top-right and bottom-right
 * {@code - - + / - + - / + - +}.
 */
public final class LabelConsistent extends AbstractAttack {

    /** Reference perturbation bound on the [0, 1] scale. */
    public static final double DEFAULT_EPSILON = 8 / 255.0;

    /** Reference PGD step on the [0, 1] scale. */
    public static final double DEFAULT_STEP = 1.5 / 255.0;

    /** Reference number of PGD steps. */
    public static final int DEFAULT_STEPS = 100;

    private static final int[][] LEFT = {{1, 0, 0}, {0, 1, 0}, {1, 0, 1}};
    private static final int[][] RIGHT = {{0, 0, 1}, {0, 1, 0}, {1, 0, 1}};
    private static final int BATCH = 128;

    private final Model surrogate;
    private final double epsilon;
    private final double step;
    private final int steps;

    /**
     * Creates the attack with the reference PGD settings.
     *
     * @param surrogate the model to craft perturbations against; not closed here
     * @param target the target class, {@code >= 0}
     */
    public LabelConsistent(Model surrogate, int target) {
        this(surrogate, target, DEFAULT_EPSILON, DEFAULT_STEP, DEFAULT_STEPS);
    }

    /**
     * Creates the attack.
     *
     * @param surrogate the model to craft perturbations against, or {@code null} for corners only
     *     (then {@link #poison} refuses to run); not closed here
     * @param target the target class, {@code >= 0}
     * @param epsilon L-infinity bound on the [0, 1] scale, in [0, 1]
     * @param step PGD step on the [0, 1] scale, {@code > 0}
     * @param steps PGD steps, {@code >= 0}
     */
    public LabelConsistent(Model surrogate, int target, double epsilon, double step, int steps) {
        super("lc", target, true);
        Preconditions.checkArgument(epsilon >= 0 && epsilon <= 1, "epsilon must be in [0, 1] but was %s", epsilon);
        Preconditions.checkArgument(step > 0, "PGD step must be > 0 but was %s", step);
        Preconditions.checkArgument(steps >= 0, "PGD steps must be >= 0 but was %s", steps);
        this.surrogate = surrogate;
        this.epsilon = epsilon;
        this.step = step;
        this.steps = steps;
    }

    /**
     * Returns whether the four-corner trigger sets a pixel white.
     *
     * @param i row offset inside the corner, 0..2
     * @param j column offset inside the corner, 0..2
     * @param right whether the corner is on the right edge
     * @return {@code true} for white (+), {@code false} for black (-)
     */
    public static boolean white(int i, int j, boolean right) {
        return (right ? RIGHT : LEFT)[i][j] == 1;
    }

    @Override
    protected double[] trigger(int[] image, int height, int width) {
        double[] out = toDouble(image);
        int channels = channels(image, height, width);
        for (int corner = 0; corner < 4; corner++) {
            boolean bottom = corner >= 2;
            boolean right = corner % 2 == 1;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    int r = bottom ? height - 3 + i : i;
                    int c = right ? width - 3 + j : j;
                    for (int ch = 0; ch < channels; ch++) {
                        out[(r * width + c) * channels + ch] = white(i, j, right) ? 255 : 0;
                    }
                }
            }
        }
        return out;
    }

    @Override
    protected List<double[]> poisonImages(LabeledImages train, int[] indices, Random random) {
        Objects.requireNonNull(surrogate, "Label-Consistent poisoning needs a surrogate model");
        List<double[]> out = new ArrayList<>(indices.length);
        for (int from = 0; from < indices.length; from += BATCH) {
            int to = Math.min(indices.length, from + BATCH);
            int[] chunk = java.util.Arrays.copyOfRange(indices, from, to);
            for (int[] adversarial : AbstractAttack.quantize(perturb(train, chunk))) {
                out.add(trigger(adversarial, train.height(), train.width()));
            }
        }
        return out;
    }

    /** Untargeted L-inf PGD on one batch; returns HWC images on the 0..255 scale. */
    private List<double[]> perturb(LabeledImages train, int[] indices) {
        int h = train.height();
        int w = train.width();
        int channels = train.channels();
        int n = indices.length;
        LabeledImages selected = train.select(indices);
        float[] result;
        try (NDManager batch = surrogate.getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(batch, false);
            NDArray clean = selected.toArray(batch);
            NDArray oneHot = batch.create(selected.labels()).oneHot(train.classes());
            NDArray lower = clean.sub((float) epsilon).clip(0f, 1f);
            NDArray upper = clean.add((float) epsilon).clip(0f, 1f);
            NDArray x = clean.duplicate();
            for (int s = 0; s < steps; s++) {
                try (NDManager scope = batch.newSubManager()) {
                    NDArray input = x.duplicate();
                    input.attach(scope);
                    input.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = surrogate.getBlock().forward(store, new NDList(input), false).singletonOrThrow();
                        NDArray loss = logits.logSoftmax(1).mul(oneHot).sum().neg();
                        collector.backward(loss);
                    }
                    NDArray next = x.add(input.getGradient().sign().mul((float) step)).maximum(lower).minimum(upper);
                    next.attach(batch);
                    x.close();
                    x = next;
                }
            }
            result = x.toFloatArray();
        }
        List<double[]> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            double[] image = new double[h * w * channels];
            for (int p = 0; p < h * w; p++) {
                for (int c = 0; c < channels; c++) {
                    // the small offset keeps float round-off from truncating an unchanged value one level down
                    image[p * channels + c] = result[((k * channels + c) * h * w) + p] * 255.0 + 1e-3;
                }
            }
            out.add(image);
        }
        return out;
    }
}
