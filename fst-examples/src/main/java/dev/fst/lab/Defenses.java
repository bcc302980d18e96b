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

    /**
     * Parses a comma-separated list of names (any case), or {@code all}.
     *
     * @param list the option's value
     * @return the names as spelled in {@link #NAMES}, unknown names kept for the validation message
     */
    public static List<String> parse(String list) {
        if ("all".equalsIgnoreCase(list.trim())) {
            return NAMES;
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
        int epochs = o.tuneEpochs();
        double lr = o.tuneLearningRate();
        return switch (name) {
            case FineTuner.NAME -> BackdoorLab.common(FineTuner.builder(), o).epochs(epochs).learningRate(lr).build();
            case LinearProbe.NAME ->
                    BackdoorLab.common(LinearProbe.builder(), o).epochs(epochs).learningRate(10 * lr).build();
            case FeatureExtractorTuner.NAME ->
                    BackdoorLab.common(FeatureExtractorTuner.builder(), o).epochs(epochs).learningRate(lr).build();
            case FtInitTuner.NAME ->
                    BackdoorLab.common(FtInitTuner.builder(), o).epochs(epochs).learningRate(lr).build();
            case SharpnessAwareTuner.NAME ->
                    BackdoorLab.common(SharpnessAwareTuner.builder(), o).epochs(epochs).learningRate(lr).build();
            case NaturalGradientTuner.NAME ->
                    BackdoorLab.common(NaturalGradientTuner.builder(), o).epochs(epochs).learningRate(lr).build();
            case AdversarialNeuronPruner.NAME -> BackdoorLab.common(AdversarialNeuronPruner.builder(), o).build();
            case ImplicitBackdoorUnlearner.NAME ->
                    BackdoorLab.common(ImplicitBackdoorUnlearner.builder(), o).build();
            case NeuralMaskFineTuner.NAME -> BackdoorLab.common(NeuralMaskFineTuner.builder(), o).build();
            case FeatureShiftTuner.NAME -> BackdoorLab.common(FeatureShiftTuner.builder(), o).alpha(o.alpha())
                    .epochs(epochs).learningRate(lr).build();
            default -> throw new IllegalArgumentException("unknown defense '" + name + "'; use one of " + NAMES);
        };
    }
}
