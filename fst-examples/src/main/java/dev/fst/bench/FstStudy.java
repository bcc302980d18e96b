package dev.fst.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.FeatureShiftTuner;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.lab.BackdoorLab;
import dev.fst.lab.LabOptions;
import dev.fst.lab.OptionParsing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;
import dev.fst.lab.attack.Attack;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.HeldOutSplit;
import dev.fst.lab.data.LabData;
import dev.fst.lab.train.ModelStore;
import dev.fst.tuning.PurificationResult;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs FST variants on one backdoored lab model and prints, per variant, clean accuracy and ASR on
 * the test set and the accuracy guard's held-out numbers. Variants are {@code key=value} lists
 * separated by {@code ;} in {@code --variants}, applied to {@link FeatureShiftTuner#builder()} (or
 * to {@link FeatureShiftTuner#paperBuilder()} when the list starts with {@code paper}): alpha, auto
 * (values separated by {@code /}), scale (paper/cosine), warm (epochs), warmlr, epochs, lr, heldout,
 * proj (0/1), aug (none/flip/padding); {@code default} alone is the builder's defaults. Every other
 * option goes to the lab.
 */
public final class FstStudy {

    private FstStudy() {}

    /** The study's own option; every other option goes to the lab. */
    @Command(mixinStandardHelpOptions = true, name = "fst-study", description = "FST variants on one lab model.")
    private static final class Args {
        @Option(names = "--variants", paramLabel = "LIST", description = "variants separated by ; (default paper;default)")
        String variants = "paper;default";
        @Unmatched
        List<String> lab = new ArrayList<>();
    }

    /**
     * Runs the study.
     *
     * @param args {@code --variants "paper;default;alpha=4,scale=cosine"} and lab options
     * @throws Exception on bad input or a failed run
     */
    public static void main(String[] args) throws Exception {
        Args a = OptionParsing.parse(new Args(), args);
        String variants = a.variants;
        List<String> lab = new ArrayList<>(a.lab);
        lab.addAll(List.of("--methods", ""));
        LabOptions o = LabOptions.parse(lab.toArray(String[]::new));
        LabData data = BackdoorLab.load(o);
        BackdoorLab.Report report = BackdoorLab.run(o, new PrintStream(OutputStream.nullOutputStream()), data);
        System.out.printf("%s %s %s: %s%n", o.model().id(), o.attack(), o.rate(),
                report.table().lines().skip(2).findFirst().orElse(""));
        HeldOutSplit split = HeldOutSplit.of(data.train(), o.tuneCount(data.train().size(), data.train().classes()),
                o.train(), o.seed());
        Attack attack = Attacks.create(o.attack(), o.target(), null);
        ModelStore store = new ModelStore(o.cache());
        try (NDManager manager = NDManager.newBaseManager(o.device(), "PyTorch")) {
            RandomAccessDataset tuning = split.tuning().toDataset(manager);
            RandomAccessDataset test = data.test().toDataset(manager);
            RandomAccessDataset triggered = attack.triggeredTestSet(data.test()).toDataset(manager);
            for (String variant : variants.split(";")) {
                boolean paper = variant.startsWith("paper");
                FeatureShiftTuner.Builder b =
                        (paper ? FeatureShiftTuner.paperBuilder() : FeatureShiftTuner.builder()).seed(o.seed());
                for (String part : variant.split(",")) {
                    if (part.equals("paper") || part.equals("default")) {
                        continue;
                    }
                    String[] kv = part.split("=");
                    String v = kv[1];
                    switch (kv[0]) {
                        case "alpha" -> b.alpha(Double.parseDouble(v));
                        case "auto" -> b.autoAlpha(java.util.Arrays.stream(v.split("/"))
                                .mapToDouble(Double::parseDouble).toArray());
                        case "scale" -> b.penaltyScale(dev.fst.PenaltyScale.valueOf(v.toUpperCase(Locale.ROOT)));
                        case "warm" -> b.warmStartEpochs(Integer.parseInt(v));
                        case "warmlr" -> b.warmStartLearningRate(Double.parseDouble(v));
                        case "epochs" -> b.epochs(Integer.parseInt(v));
                        case "lr" -> b.learningRate(Double.parseDouble(v));
                        case "heldout" -> b.heldOutFraction(Double.parseDouble(v));
                        case "proj" -> b.projection(v.equals("1"));
                        case "aug" -> b.augmentation(switch (v) {
                            case "none" -> dev.fst.data.Augmentation.none();
                            case "flip" -> dev.fst.data.Augmentation.crop(0, true);
                            default -> dev.fst.data.Augmentation.crop(Integer.parseInt(v), true);
                        });
                        default -> throw new IllegalArgumentException("unknown key " + kv[0]);
                    }
                }
                try (Model model = store.load(report.backdoor(), data.train().classes(), data.train().channels(),
                        data.train().height(), o.device())) {
                    PurificationResult result = b.build().purify(model, tuning);
                    Rate clean = Evaluator.accuracy(model, test);
                    Rate asr = Evaluator.attackSuccessRate(model, triggered, o.target());
                    System.out.printf(Locale.ROOT, "%-45s clean %6.2f ASR %6.2f | %s | %.1f s%n", variant,
                            clean.percent(), asr.percent(), result.accuracyCheck(), result.wallTime().toMillis() / 1e3);
                    System.out.printf(Locale.ROOT, "RESULT;%s;%s;%s;%s;%.2f;%.2f;%.2f;%.2f;%.2f;%.2f%n", o.model().id(),
                            o.attack(), o.rate(), variant, report.rows().get(0).cleanAccuracy().percent(),
                            report.rows().get(0).attackSuccessRate().percent(), clean.percent(), asr.percent(),
                            result.accuracyCheck().before().percent(), result.accuracyCheck().after().percent());
                }
            }
        }
    }
}
