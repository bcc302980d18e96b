package dev.fst.eval;

import com.google.common.base.Preconditions;
import java.util.List;
import java.util.Map;

/**
 * What a {@link RetuningAttack} measured on the fine-tuned copy of a model, and how it was run. The
 * model itself was put back as it was before the attack.
 *
 * @param pAsr the post-purification attack success rate (P-ASR): the attack success rate of the
 *     retuned model on the triggered test images whose true class is not the target ({@link
 *     Evaluator#attackSuccessRate})
 * @param cleanAccuracy the retuned model's accuracy on the clean test images ({@link
 *     Evaluator#accuracy})
 * @param target the attacker's target class
 * @param replaced the indices of the tuning images that were replaced by triggered images
 *     relabelled to the target, in the order they were chosen; empty when the attack used no
 *     poisoned samples
 * @param epochLosses the mean training loss of each retuning epoch, in order
 * @param settings every setting of the attack ({@link RetuningAttack#configuration()}), plus the
 *     number of tuning images it trained on ({@code tuningImages})
 */
public record RetuningResult(
        Rate pAsr,
        Rate cleanAccuracy,
        int target,
        List<Integer> replaced,
        List<Double> epochLosses,
        Map<String, Object> settings) {

    /**
     * Creates a result; the lists and the map are copied.
     *
     * @throws IllegalArgumentException if a rate, list or map is null or {@code target < 0}
     */
    public RetuningResult {
        Preconditions.checkArgument(pAsr != null, "pAsr must not be null");
        Preconditions.checkArgument(cleanAccuracy != null, "cleanAccuracy must not be null");
        Preconditions.checkArgument(target >= 0, "target must be >= 0 but was %s", target);
        Preconditions.checkArgument(replaced != null, "replaced must not be null");
        Preconditions.checkArgument(epochLosses != null, "epochLosses must not be null");
        Preconditions.checkArgument(settings != null, "settings must not be null");
        replaced = List.copyOf(replaced);
        epochLosses = List.copyOf(epochLosses);
        settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    }
}
