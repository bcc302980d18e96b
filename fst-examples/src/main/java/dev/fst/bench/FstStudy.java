package dev.fst.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.fst.FeatureShiftTuner;
import dev.fst.eval.Evaluator;
import dev.fst.eval.Rate;
import dev.fst.lab.BackdoorLab;
import dev.fst.lab.LabOptions;
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
 * separated by {@code ;} in {@code --variants}: alpha, norm (0/1), warm (epochs), warmlr, headlr,
 * epochs, lr, heldout. Every other option goes to the lab.
 */
public final class FstStudy {

    private FstStudy() {}

    /**
     * Runs the study.
     *
     * @param args {@code --variants "alpha=0.2;alpha=0.02,norm=1"} and lab options
     * @throws Exception on bad input or a failed run
     */
    public static void main(String[] args) throws Exception {
        List<String> lab = new ArrayList<>();
        String variants = "alpha=0.2";
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--variants")) {
                variants = args[++i];
            } else {
                lab.add(args[i]);
            }
        }
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
                FeatureShiftTuner.Builder b = FeatureShiftTuner.builder().seed(o.seed());
                int warm = 0;
                double warmLr = 0.05;
                for (String part : variant.split(",")) {
                    String[] kv = part.split("=");
                    String v = kv[1];
                    switch (kv[0]) {
                        case "alpha" -> b.alpha(Double.parseDouble(v));
                        case "norm" -> b.normalizedPenalty(v.equals("1"));
                        case "warm" -> warm = Integer.parseInt(v);
                        case "warmlr" -> warmLr = Double.parseDouble(v);
                        case "headlr" -> b.headLearningRateScale(Double.parseDouble(v));
                        case "epochs" -> b.epochs(Integer.parseInt(v));
                        case "lr" -> b.learningRate(Double.parseDouble(v));
                        case "heldout" -> b.heldOutFraction(Double.parseDouble(v));
                        case "proj" -> b.projection(v.equals("1"));
                        default -> throw new IllegalArgumentException("unknown key " + kv[0]);
                    }
                }
                if (warm > 0) {
                    b.warmStart(warm, warmLr);
                }
                try (Model model = store.load(report.backdoor(), data.train().classes(), data.train().channels(),
                        data.train().height(), o.device())) {
                    PurificationResult result = b.build().purify(model, tuning);
                    Rate clean = Evaluator.accuracy(model, test);
                    Rate asr = Evaluator.attackSuccessRate(model, triggered, o.target());
                    System.out.printf(Locale.ROOT, "%-45s clean %6.2f ASR %6.2f | %s | %.1f s%n", variant,
                            clean.percent(), asr.percent(), result.accuracyCheck(), result.wallTime().toMillis() / 1e3);
                }
            }
        }
    }
}
