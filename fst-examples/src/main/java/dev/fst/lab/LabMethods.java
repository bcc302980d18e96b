package dev.fst.lab;

import dev.fst.FeatureShiftTuner;
import dev.fst.baselines.FeatureExtractorTuner;
import dev.fst.baselines.FineTuner;
import dev.fst.baselines.FtInitTuner;
import dev.fst.baselines.ImplicitBackdoorUnlearner;
import dev.fst.baselines.LinearProbe;
import dev.fst.baselines.AdversarialNeuronPruner;
import dev.fst.baselines.NaturalGradientTuner;
import dev.fst.baselines.NeuralMaskFineTuner;
import dev.fst.baselines.SharpnessAwareTuner;
import dev.fst.baselines.FstPamTuner;
import dev.fst.baselines.Methods;
import dev.fst.baselines.PathAwareMinimizer;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The methods the lab can run, by the names of the FST paper's tables, each configured from the
 * lab's options: every method runs with the lab's seed and device; the weight-tuning methods (FT,
 * LP, FE-tuning, FT-init, FT+SAM, NGF, FST, PAM, FST+PAM) run {@code --tune-epochs} epochs at {@code --tune-lr},
 * except LP at ten times that rate (the paper tunes LP with larger rates than FT); FST uses {@code
 * --alpha} when given, else its default (alpha chosen on held-out clean data). ANP, NFT and I-BAU
 * optimise other quantities (masks, or weights with Adam against a perturbation) on schedules of
 * their own, so they keep their own default epochs and rates. Every method is built through the
 * registry of methods ({@link Methods}) from the spec {@link #spec} returns.
 */
public final class LabMethods {

    /**
     * Every method: the paper's Table 2 (FST last), then the follow-up's PAM and FST with PAM's
     * step (Min et al., NeurIPS 2024).
     */
    public static final List<String> NAMES = List.of(
            FineTuner.NAME, LinearProbe.NAME, FeatureExtractorTuner.NAME, FtInitTuner.NAME,
            SharpnessAwareTuner.NAME, NaturalGradientTuner.NAME, AdversarialNeuronPruner.NAME,
            ImplicitBackdoorUnlearner.NAME, NeuralMaskFineTuner.NAME, FeatureShiftTuner.NAME,
            PathAwareMinimizer.NAME, FstPamTuner.NAME);

    private LabMethods() {}

    /**
     * Parses a comma-separated list of names (any case), {@code all}, or an empty string (no
     * method: only the backdoored model is measured).
     *
     * @param list the option's value
     * @return the names as spelled in {@link #NAMES}, unknown names kept for the validation message
     */
    public static List<String> parse(String list) {
        if ("all".equalsIgnoreCase(list.trim())) {
            return NAMES;
        }
        if (list.isBlank()) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (String part : list.split(",")) {
            String wanted = part.trim();
            names.add(NAMES.stream().filter(n -> n.equalsIgnoreCase(wanted)).findFirst()
                    .orElse(wanted.toUpperCase(Locale.ROOT)));
        }
        return names;
    }

    /**
     * Creates a method configured from the lab's options.
     *
     * @param name one of {@link #NAMES}
     * @param o the lab's options
     * @return the purifier
     * @throws IllegalArgumentException for an unknown name
     */
    public static Purifier create(String name, LabOptions o) {
        return create(name, o, List.of());
    }

    /**
     * Creates a method configured from the lab's options, with extra progress listeners (for
     * example per-epoch measurements).
     *
     * @param name one of {@link #NAMES}
     * @param o the lab's options
     * @param listeners added after the lab's progress bar
     * @return the purifier
     * @throws IllegalArgumentException for an unknown name
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Purifier create(String name, LabOptions o, List<TuningListener> listeners) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown method '" + name + "'; use one of " + NAMES);
        }
        return Methods.parse(spec(name, o), builder -> {
            BackdoorLab.common((TunerBuilder) builder, o);
            listeners.forEach(builder::listener);
        });
    }

    /**
     * Returns the registry spec of a method under the lab's options (see the class description).
     *
     * @param name one of {@link #NAMES}
     * @param o the lab's options
     * @return for example {@code fst:epochs=10,learningRate=0.01}
     */
    public static String spec(String name, LabOptions o) {
        String key = Methods.canonical(name);
        String tuning = String.format(Locale.ROOT, "epochs=%d,learningRate=%s", o.tuneEpochs(), o.tuneLearningRate());
        return switch (key) {
            case "anp", "i-bau", "nft" -> key;
            case "lp" -> String.format(Locale.ROOT, "lp:epochs=%d,learningRate=%s", o.tuneEpochs(),
                    10 * o.tuneLearningRate());
            case "fst", "fst-pam" -> key + ":" + tuning + (o.alpha() != null ? ",alpha=" + o.alpha() : "");
            default -> key + ":" + tuning;
        };
    }
}
