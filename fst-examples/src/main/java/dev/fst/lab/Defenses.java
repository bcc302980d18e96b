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
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The defenses the lab can run, by the names of the FST paper's tables, each configured from the
 * lab's options: every method runs with the lab's seed and device; the weight-tuning methods (FT,
 * LP, FE-tuning, FT-init, FT+SAM, NGF, FST) run {@code --tune-epochs} epochs at {@code --tune-lr},
 * except LP at ten times that rate (the paper tunes LP with larger rates than FT); FST uses {@code
 * --alpha}. ANP, NFT and I-BAU optimise other quantities (masks, or weights with Adam against a
 * perturbation) on schedules of their own, so they keep their own default epochs and rates.
 */
public final class Defenses {

    /** Every defense, in the order of the paper's Table 2 (FST last). */
    public static final List<String> NAMES = List.of(
            FineTuner.NAME, LinearProbe.NAME, FeatureExtractorTuner.NAME, FtInitTuner.NAME,
            SharpnessAwareTuner.NAME, NaturalGradientTuner.NAME, AdversarialNeuronPruner.NAME,
            ImplicitBackdoorUnlearner.NAME, NeuralMaskFineTuner.NAME, FeatureShiftTuner.NAME);

    private Defenses() {}

    private static <B extends TunerBuilder<B>> B common(B builder, LabOptions o, List<TuningListener> listeners) {
        B b = BackdoorLab.common(builder, o);
        listeners.forEach(b::listener);
        return b;
    }

    /**
     * Parses a comma-separated list of names (any case), {@code all}, or an empty string (no
     * defense: only the backdoored model is measured).
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
     * Creates a defense configured from the lab's options.
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
     * Creates a defense configured from the lab's options, with extra progress listeners (for
     * example per-epoch measurements).
     *
     * @param name one of {@link #NAMES}
     * @param o the lab's options
     * @param listeners added after the lab's progress bar
     * @return the purifier
     * @throws IllegalArgumentException for an unknown name
     */
    public static Purifier create(String name, LabOptions o, List<TuningListener> listeners) {
        int epochs = o.tuneEpochs();
        double lr = o.tuneLearningRate();
        return switch (name) {
            case FineTuner.NAME -> common(FineTuner.builder(), o, listeners).epochs(epochs).learningRate(lr).build();
            case LinearProbe.NAME ->
                    common(LinearProbe.builder(), o, listeners).epochs(epochs).learningRate(10 * lr).build();
            case FeatureExtractorTuner.NAME ->
                    common(FeatureExtractorTuner.builder(), o, listeners).epochs(epochs).learningRate(lr).build();
            case FtInitTuner.NAME ->
                    common(FtInitTuner.builder(), o, listeners).epochs(epochs).learningRate(lr).build();
            case SharpnessAwareTuner.NAME ->
                    common(SharpnessAwareTuner.builder(), o, listeners).epochs(epochs).learningRate(lr).build();
            case NaturalGradientTuner.NAME ->
                    common(NaturalGradientTuner.builder(), o, listeners).epochs(epochs).learningRate(lr).build();
            case AdversarialNeuronPruner.NAME -> common(AdversarialNeuronPruner.builder(), o, listeners).build();
            case ImplicitBackdoorUnlearner.NAME ->
                    common(ImplicitBackdoorUnlearner.builder(), o, listeners).build();
            case NeuralMaskFineTuner.NAME -> common(NeuralMaskFineTuner.builder(), o, listeners).build();
            case FeatureShiftTuner.NAME -> {
                FeatureShiftTuner.Builder b = common(FeatureShiftTuner.builder(), o, listeners).epochs(epochs)
                        .learningRate(lr);
                yield (o.alpha() != null ? b.alpha(o.alpha()) : b).build();
            }
            default -> throw new IllegalArgumentException("unknown defense '" + name + "'; use one of " + NAMES);
        };
    }
}
