package dev.fst.lab;

import ai.djl.Device;
import com.google.common.base.Preconditions;
import dev.fst.data.Augmentation;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.IdxDataset;
import dev.fst.lab.model.Architecture;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The settings of one {@link BackdoorLab} run. The defaults are the main job, on Fashion-MNIST when
 * Debian's {@code dataset-fashion-mnist} is installed: the FST paper's protocol (a clean,
 * class-balanced tuning set of 2 % of the training images held out of the attacker's data), BadNet
 * with a white 3x3 patch at 1 %, the small CNN trained to maturity on all other training images,
 * and FT and FST with the paper's settings. Without the data the lab falls back to its synthetic
 * images with the settings it had before real data (checkerboard BadNet, 20,000 training images, 1,000
 * tuning images, tuning rate 0.02). Options left unset take the default of the data
 * (see {@link #USAGE}).
 *
 * @param data {@code fashion-mnist[:DIR]}, {@code mnist:DIR}, {@code synthetic}, {@code cifar10:DIR},
 *     {@code gtsrb:DIR} or {@code folder:DIR}; {@code auto} on the command line (the default) is
 *     Fashion-MNIST when it is installed, else synthetic
 * @param syntheticFallback whether {@code auto} fell back to the synthetic data
 * @param syntheticTrain synthetic training images to generate (default 50,000)
 * @param syntheticTest synthetic test images to generate (default 10,000)
 * @param attack the attack's name ({@link Attacks#NAMES}; default {@code badnet}, on the synthetic
 *     data {@code badnet-grid})
 * @param rate poisoning rate of the backdoor training set, in (0, 1] (default 0.01)
 * @param target the attack's target class (default 0)
 * @param model the architecture (default {@code small-cnn})
 * @param train images the backdoored model is trained on, drawn from the training set after the
 *     tuning set is held out; 0 = all (default all, on the synthetic data 20,000)
 * @param tune clean, class-balanced tuning images held out of the training set; 0 = 2 % of the
 *     training set, the paper's share (default 2 %, on the synthetic data 1,000)
 * @param epochs backdoor training epochs (default {@value #REAL_EPOCHS})
 * @param learningRate backdoor training learning rate (default 0.1; 0.01 for WaNet, as the paper)
 * @param augment backdoor training augmentation: {@code flip} (horizontal flips), {@code crop-flip}
 *     (random crop with padding 4 and flips, the reference recipe) or {@code none} (default {@value
 *     #REAL_AUGMENT}, on the synthetic data {@code flip})
 * @param tuneEpochs FST and FT epochs (default 10)
 * @param tuneLearningRate FST and FT learning rate (default 0.01, the paper's; on the synthetic
 *     data 0.02)
 * @param alpha FST's alpha in the paper's scale, or {@code null} (the default) for FST's own
 *     default: alpha chosen on held-out clean data ({@link dev.fst.FeatureShiftTuner#builder()})
 * @param methods the defenses to run, in order (default FT and FST; {@code all} on the command line
 *     runs every one of {@link Defenses#NAMES}; empty: only the backdoored model is measured)
 * @param seed the seed of everything (default 1)
 * @param device the device, or {@code null} for DJL's default (a GPU when present)
 * @param cache the model store folder (default {@code .fst-lab})
 * @param retrain train again even when the store has the model
 */
public record LabOptions(
        String data,
        boolean syntheticFallback,
        int syntheticTrain,
        int syntheticTest,
        String attack,
        double rate,
        int target,
        Architecture model,
        int train,
        int tune,
        int epochs,
        double learningRate,
        String augment,
        int tuneEpochs,
        double tuneLearningRate,
        Double alpha,
        List<String> methods,
        long seed,
        Device device,
        Path cache,
        boolean retrain) {

    /** Backdoor training epochs of the main job. */
    public static final int REAL_EPOCHS = 10;

    /** Backdoor training augmentation of the main job on real data. */
    public static final String REAL_AUGMENT = "flip";

    /** The usage text. */
    public static final String USAGE = String.join("\n",
            "usage: BackdoorLab [options]   (defaults: Fashion-MNIST / synthetic fallback)",
            "  --data SPEC          auto (default: fashion-mnist when installed, else synthetic) | fashion-mnist[:DIR]",
            "                       | mnist:DIR | synthetic | cifar10:DIR | gtsrb:DIR | folder:DIR",
            "  --synthetic-train N  synthetic training images to generate (default 50000)",
            "  --synthetic-test N   synthetic test images to generate (default 10000)",
            "  --attack NAME        " + String.join(" | ", Attacks.NAMES) + " (default badnet / badnet-grid)",
            "  --rate R             poisoning rate in (0, 1] (default 0.01)",
            "  --target K           target class (default 0)",
            "  --model NAME         small-cnn (default) | vgg-small | resnet18 | preact-resnet18 | vgg19-bn",
            "  --train N            backdoor training images, 0 = all (default 0 / 20000)",
            "  --tune N             clean tuning images held out, 0 = 2% of the training set (default 0 / 1000)",
            "  --epochs N           backdoor training epochs (default " + REAL_EPOCHS + ")",
            "  --lr X               backdoor training learning rate (default 0.1; wanet 0.01)",
            "  --augment A          backdoor training augmentation: flip | crop-flip | none (default " + REAL_AUGMENT
                    + " / flip)",
            "  --tune-epochs N      FST/FT epochs (default 10)",
            "  --tune-lr X          FST/FT learning rate (default 0.01 / 0.02)",
            "  --alpha X            FST alpha in the paper's scale (default: chosen on held-out clean data)",
            "  --methods LIST       defenses, comma-separated, or all: " + String.join(",", Defenses.NAMES),
            "                       (default FT,FST)",
            "  --seed N             seed (default 1)",
            "  --device D           cpu | gpu | gpu:N (default: a GPU when present)",
            "  --cache DIR          trained-model store (default .fst-lab)",
            "  --retrain            train even if the store has the model",
            "  --smoke              tiny sizes for a quick check (overridable by later options)");

    /**
     * Validates every setting.
     *
     * @param data see the record description
     * @param syntheticFallback see the record description
     * @param syntheticTrain see the record description
     * @param syntheticTest see the record description
     * @param attack see the record description
     * @param rate see the record description
     * @param target see the record description
     * @param model see the record description
     * @param train see the record description
     * @param tune see the record description
     * @param epochs see the record description
     * @param learningRate see the record description
     * @param augment see the record description
     * @param tuneEpochs see the record description
     * @param tuneLearningRate see the record description
     * @param alpha see the record description
     * @param methods see the record description
     * @param seed see the record description
     * @param device see the record description
     * @param cache see the record description
     * @param retrain see the record description
     * @throws IllegalArgumentException naming the first invalid option
     */
    public LabOptions {
        Preconditions.checkArgument(syntheticTrain >= 10, "--synthetic-train must be >= 10 but was %s", syntheticTrain);
        Preconditions.checkArgument(syntheticTest >= 10, "--synthetic-test must be >= 10 but was %s", syntheticTest);
        Preconditions.checkArgument(Attacks.NAMES.contains(attack), "unknown --attack '%s'; use one of %s", attack,
                Attacks.NAMES);
        Preconditions.checkArgument(rate > 0 && rate <= 1, "--rate must be in (0, 1] but was %s", rate);
        Preconditions.checkArgument(target >= 0, "--target must be >= 0 but was %s", target);
        Preconditions.checkArgument(train >= 0, "--train must be >= 0 but was %s", train);
        Preconditions.checkArgument(tune >= 0, "--tune must be >= 0 but was %s", tune);
        Preconditions.checkArgument(epochs >= 1, "--epochs must be >= 1 but was %s", epochs);
        Preconditions.checkArgument(learningRate > 0, "--lr must be > 0 but was %s", learningRate);
        Preconditions.checkArgument(augment.equals("flip") || augment.equals("crop-flip") || augment.equals("none"),
                "--augment must be flip, crop-flip or none but was '%s'", augment);
        Preconditions.checkArgument(tuneEpochs >= 1, "--tune-epochs must be >= 1 but was %s", tuneEpochs);
        Preconditions.checkArgument(tuneLearningRate > 0, "--tune-lr must be > 0 but was %s", tuneLearningRate);
        Preconditions.checkArgument(alpha == null || alpha >= 0, "--alpha must be >= 0 but was %s", alpha);
        for (String method : methods) {
            Preconditions.checkArgument(Defenses.NAMES.contains(method), "unknown defense '%s' in --methods; use %s or all",
                    method, String.join(",", Defenses.NAMES));
        }
        methods = List.copyOf(methods);
    }

    /**
     * Returns the number of tuning images for a training set: {@link #tune()}, or 2 % of the
     * training set (at least one per class) when it is 0.
     *
     * @param trainingSetSize the images of the data's training set
     * @param classes the number of classes
     * @return the tuning set's size
     */
    public int tuneCount(int trainingSetSize, int classes) {
        return tune > 0 ? tune : Math.max(classes, (int) Math.round(0.02 * trainingSetSize));
    }

    /**
     * Returns the backdoor training augmentation.
     *
     * @return the augmentation named by {@link #augment()}
     */
    public Augmentation trainingAugmentation() {
        return switch (augment) {
            case "crop-flip" -> Augmentation.cropAndFlip();
            case "none" -> Augmentation.none();
            default -> Augmentation.crop(0, true);
        };
    }

    /**
     * Returns the main job's settings.
     *
     * @return the defaults
     */
    public static LabOptions defaults() {
        return parse(new String[0]);
    }

    /**
     * Parses command-line options.
     *
     * @param args the arguments
     * @return the options
     * @throws IllegalArgumentException naming an unknown option, a missing or malformed value
     */
    public static LabOptions parse(String[] args) {
        Parser p = new Parser();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--retrain")) {
                p.retrain = true;
                continue;
            }
            if (flag.equals("--smoke")) {
                p.smoke = true;
                p.syntheticTrain = 2400;
                p.syntheticTest = 500;
                p.epochs = 4;
                p.tuneEpochs = 4;
                continue;
            }
            Preconditions.checkArgument(i + 1 < args.length, "%s needs a value\n%s", flag, USAGE);
            String value = args[++i];
            try {
                switch (flag) {
                    case "--data" -> p.data = value;
                    case "--synthetic-train" -> p.syntheticTrain = Integer.parseInt(value);
                    case "--synthetic-test" -> p.syntheticTest = Integer.parseInt(value);
                    case "--attack" -> p.attack = value.toLowerCase(Locale.ROOT);
                    case "--rate" -> p.rate = Double.parseDouble(value);
                    case "--target" -> p.target = Integer.parseInt(value);
                    case "--model" -> p.model = Architecture.of(value);
                    case "--train" -> p.train = Integer.parseInt(value);
                    case "--tune" -> p.tune = Integer.parseInt(value);
                    case "--epochs" -> p.epochs = Integer.parseInt(value);
                    case "--lr" -> p.learningRate = Double.parseDouble(value);
                    case "--augment" -> p.augment = value;
                    case "--tune-epochs" -> p.tuneEpochs = Integer.parseInt(value);
                    case "--tune-lr" -> p.tuneLearningRate = Double.parseDouble(value);
                    case "--alpha" -> p.alpha = Double.parseDouble(value);
                    case "--methods" -> p.methods = Defenses.parse(value);
                    case "--seed" -> p.seed = Long.parseLong(value);
                    case "--device" -> p.device = Device.fromName(value);
                    case "--cache" -> p.cache = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a number but got '" + value + "'", e);
            }
        }
        return p.resolve();
    }

    /**
     * Mutable settings while parsing. Options left unset ({@code null}) take the defaults of the
     * data: the main job on Fashion-MNIST (the paper's protocol and FST settings) or on the
     * synthetic fallback (the earlier lab's sizes and settings, see {@link #USAGE}).
     */
    private static final class Parser {
        String data = "auto";
        int syntheticTrain = 50_000;
        int syntheticTest = 10_000;
        String attack;
        double rate = 0.01;
        int target = 0;
        Architecture model = Architecture.SMALL_CNN;
        Integer train;
        Integer tune;
        Integer epochs;
        Double learningRate;
        String augment;
        Integer tuneEpochs;
        Double tuneLearningRate;
        Double alpha;
        List<String> methods = List.of("FT", "FST");
        long seed = 1;
        Device device;
        Path cache = Path.of(".fst-lab");
        boolean retrain;
        boolean smoke;

        LabOptions resolve() {
            boolean auto = data.equals("auto");
            String source = auto ? (java.nio.file.Files.isDirectory(IdxDataset.FASHION_MNIST_DIR) ? "fashion-mnist"
                    : "synthetic") : data;
            boolean real = !source.equals("synthetic");
            if (smoke) {
                train = train != null ? train : real ? 2400 : 0;
                tune = tune != null ? tune : real ? 0 : 200;
            }
            String a = attack != null ? attack : real ? "badnet" : "badnet-grid";
            double lr = learningRate != null ? learningRate : "wanet".equals(a) ? 0.01 : 0.1;
            return new LabOptions(source, auto && !real, syntheticTrain, syntheticTest, a, rate, target, model,
                    train != null ? train : real ? 0 : 20_000,
                    tune != null ? tune : real ? 0 : 1_000,
                    epochs != null ? epochs : REAL_EPOCHS,
                    lr,
                    augment != null ? augment : real ? REAL_AUGMENT : "flip",
                    tuneEpochs != null ? tuneEpochs : 10,
                    tuneLearningRate != null ? tuneLearningRate : real ? 0.01 : 0.02,
                    alpha,
                    methods, seed, device, cache, retrain);
        }
    }
}
