package dev.fst.eval;

import com.google.common.base.Preconditions;

/**
 * The defense effectiveness rating (DER) of BackdoorBench (Wu et al., "BackdoorBench: A
 * Comprehensive Benchmark of Backdoor Learning", NeurIPS 2022 Datasets and Benchmarks), which
 * scores a defense by how much attack success rate it removes and how much clean accuracy it costs:
 *
 * <pre>  DER = [max(0, ASR_bd - ASR_def) - max(0, ACC_bd - ACC_def) + 1] / 2</pre>
 *
 * <p>{@code _bd} are the backdoored model's values, {@code _def} those of the defended (purified)
 * model, all fractions in {@code [0, 1]}. DER is in {@code [0, 1]}: 1 removes every successful attack
 * at no accuracy cost, 0.5 changes nothing (or trades accuracy for ASR one to one), 0 keeps the
 * backdoor and loses all accuracy. A rise in ASR or in accuracy counts as 0, not as a bonus or a
 * penalty.
 *
 * <p>This is the form of BackdoorBench's {@code defense_effectiveness_rate_simplied} in {@code
 * utils/metric.py}, the one its result tables ({@code visual_metric.py}) use. The other helper
 * there, {@code defense_effectiveness_rate}, which works from predictions, <em>adds</em> the
 * accuracy term instead of subtracting it, contrary to its own comment and to the paper, so that a
 * defense scores higher the more accuracy it destroys: a bug. Numbers produced with that helper
 * cannot be compared with this one's.
 */
public final class DefenseEffectiveness {

    private DefenseEffectiveness() {}

    /**
     * Returns the DER of a defense.
     *
     * @param asrBackdoored the backdoored model's attack success rate, in {@code [0, 1]}
     * @param asrDefended the defended model's attack success rate, in {@code [0, 1]}
     * @param accuracyBackdoored the backdoored model's clean accuracy, in {@code [0, 1]}
     * @param accuracyDefended the defended model's clean accuracy, in {@code [0, 1]}
     * @return {@code [max(0, asrBackdoored - asrDefended) - max(0, accuracyBackdoored -
     *     accuracyDefended) + 1] / 2}, in {@code [0, 1]}
     * @throws IllegalArgumentException if a value is NaN or outside {@code [0, 1]}, naming it
     */
    public static double rating(
            double asrBackdoored, double asrDefended, double accuracyBackdoored, double accuracyDefended) {
        checkFraction(asrBackdoored, "asrBackdoored");
        checkFraction(asrDefended, "asrDefended");
        checkFraction(accuracyBackdoored, "accuracyBackdoored");
        checkFraction(accuracyDefended, "accuracyDefended");
        double asrRemoved = Math.max(0, asrBackdoored - asrDefended);
        double accuracyLost = Math.max(0, accuracyBackdoored - accuracyDefended);
        return (asrRemoved - accuracyLost + 1) / 2;
    }

    /**
     * Returns the DER of a defense from measured rates; see {@link #rating(double, double, double,
     * double)}.
     *
     * @param asrBackdoored the backdoored model's attack success rate
     * @param asrDefended the defended model's attack success rate
     * @param accuracyBackdoored the backdoored model's clean accuracy
     * @param accuracyDefended the defended model's clean accuracy
     * @return the rating, in {@code [0, 1]}
     * @throws IllegalArgumentException if a rate is null or measured nothing ({@code total == 0})
     */
    public static double rating(
            Rate asrBackdoored, Rate asrDefended, Rate accuracyBackdoored, Rate accuracyDefended) {
        return rating(
                value(asrBackdoored, "asrBackdoored"),
                value(asrDefended, "asrDefended"),
                value(accuracyBackdoored, "accuracyBackdoored"),
                value(accuracyDefended, "accuracyDefended"));
    }

    private static double value(Rate rate, String name) {
        Preconditions.checkArgument(rate != null, "%s must not be null", name);
        Preconditions.checkArgument(
                rate.total() > 0, "%s measured no images (%s)", name, rate);
        return rate.value();
    }

    private static void checkFraction(double value, String name) {
        Preconditions.checkArgument(
                value >= 0 && value <= 1, "%s must be a fraction in [0, 1] but was %s", name, value);
    }
}
