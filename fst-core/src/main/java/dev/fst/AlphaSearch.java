package dev.fst;

import com.google.common.collect.ImmutableList;
import dev.fst.tuning.AccuracyCheck;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What FST's automatic alpha did: every value tried, in order, with the accuracy guard's held-out
 * check of its run, and the value kept. Reported under the detail {@code "alphaSearch"} of the
 * result.
 *
 * <p>Values are tried from the largest down, each in a full run from the original model, and the
 * first whose held-out accuracy drop stays within the budget is kept: the strongest penalty the
 * clean data allows (the attack success rate falls as alpha grows, paper Fig. 5). When none stays
 * within it, the run that cost the least held-out accuracy is kept and flagged: a purifier that
 * destroys accuracy is worse than none, and the guard says what even that run cost. Only clean data takes part: no test set, no trigger.
 *
 * @param scale the scale the values are in
 * @param trials every value tried, in order
 * @param chosen the value kept
 * @param withinBudget whether the kept run stayed within the budget
 */
public record AlphaSearch(PenaltyScale scale, List<Trial> trials, double chosen, boolean withinBudget) {

    /**
     * One value tried.
     *
     * @param alpha the value
     * @param check the held-out accuracy before and after its run
     */
    public record Trial(double alpha, AccuracyCheck check) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "alpha %s: held-out %.2f%% -> %.2f%% (drop %.2f)", alpha,
                    check.before().percent(), check.after().percent(), check.drop());
        }
    }

    /**
     * Copies the trials.
     *
     * @param scale see the record description
     * @param trials see the record description
     * @param chosen see the record description
     * @param withinBudget see the record description
     */
    public AlphaSearch {
        trials = ImmutableList.copyOf(trials);
    }

    @Override
    public String toString() {
        return trials.stream().map(Trial::toString).collect(Collectors.joining("; ")) + "; kept alpha " + chosen
                + " (" + scale.name().toLowerCase(Locale.ROOT) + " scale" + (withinBudget ? ")" : ", over budget)");
    }
}
