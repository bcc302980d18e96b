package dev.fst.tuning;

import dev.fst.eval.Rate;
import java.util.Locale;

/**
 * The accuracy guard of one run: the model's accuracy, in inference mode, on the held-out share of
 * the clean tuning images (never trained on) before and after tuning, and whether the drop stayed
 * within the run's budget.
 *
 * <p>A defender cannot measure the attack success rate, so this clean-data check is the one thing
 * a run can say about its own harm: a purification that destroys accuracy is flagged here rather
 * than passing silently. It says nothing about whether a backdoor survived.
 *
 * <p>The measurement is a paired comparison on few images: with {@code n} held-out images and a
 * share {@code d} of them on which the two models disagree, the measured drop has a standard error
 * of about {@code 100 * sqrt(d / n)} points (about 2 points for 240 images and 10 % disagreement).
 *
 * @param before accuracy on the held-out images before tuning; 0 of 0 when none were held out
 * @param after accuracy on the same images after tuning
 * @param budget the largest acceptable drop, in percentage points
 */
public record AccuracyCheck(Rate before, Rate after, double budget) {

    /**
     * Validates the check.
     *
     * @throws IllegalArgumentException if the two rates count different images or the budget is
     *     not in (0, 100]
     */
    public AccuracyCheck {
        if (before.total() != after.total()) {
            throw new IllegalArgumentException(
                    "before and after must be measured on the same images but were "
                            + before.total() + " and " + after.total());
        }
        if (!(budget > 0 && budget <= 100)) {
            throw new IllegalArgumentException("budget must be in (0, 100] but was " + budget);
        }
    }

    /**
     * Returns the check of a run that held no images out.
     *
     * @param budget the run's budget
     * @return an unmeasured check
     */
    public static AccuracyCheck unmeasured(double budget) {
        return new AccuracyCheck(new Rate(0, 0), new Rate(0, 0), budget);
    }

    /**
     * Returns whether any image was held out, so that the check means something.
     *
     * @return {@code false} when the run held nothing out
     */
    public boolean measured() {
        return before.total() > 0;
    }

    /**
     * Returns the number of held-out images.
     *
     * @return the count
     */
    public long images() {
        return before.total();
    }

    /**
     * Returns how much accuracy the run cost on the held-out images.
     *
     * @return {@code before - after} in percentage points (negative for a gain); 0 when unmeasured
     */
    public double drop() {
        return measured() ? before.percent() - after.percent() : 0;
    }

    /**
     * Returns whether the drop is within the budget.
     *
     * @return {@code true} when {@code drop() <= budget()} or nothing was measured
     */
    public boolean withinBudget() {
        return drop() <= budget + 1e-9;
    }

    @Override
    public String toString() {
        if (!measured()) {
            return "no held-out images: accuracy not checked";
        }
        return String.format(Locale.ROOT, "held-out accuracy %s -> %s (drop %.2f points, budget %.2f: %s)",
                before, after, drop(), budget, withinBudget() ? "within" : "EXCEEDED");
    }
}
