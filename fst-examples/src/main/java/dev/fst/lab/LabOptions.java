package dev.fst.lab;

import ai.djl.Device;
import com.google.common.base.Preconditions;
import dev.fst.data.Augmentation;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.model.Architecture;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The settings of one {@link BackdoorLab} run; the defaults are the main job (BadNet with the
 * checkerboard patch at 1% on the synthetic data, small CNN, 20,000 training images, 10 epochs),
 * sized to finish in a few minutes on a 2-core CPU.
 *
 * @param data {@code synthetic}, {@code cifar10:DIR}, {@code gtsrb:DIR} or {@code folder:DIR}
 * @param syntheticTrain synthetic training images to generate (default 50,000)
 * @param syntheticTest synthetic test images to generate (default 10,000)
 * @param attack the attack's name (default {@code badnet-grid}, BadNet's checkerboard patch as the
 *     paper describes it; see {@link Attacks#NAMES})
 * @param rate poisoning rate of the backdoor training set, in (0, 1] (default 0.01)
 * @param target the attack's target class (default 0)
 * @param model the architecture (default {@code small-cnn})
 * @param train images the backdoored model is trained on, drawn from the training set after the
 *     tuning set is held out; 0 = all (default 20,000)
 * @param tune clean, class-balanced tuning images held out of the training set (default 1,000,
 *     2% of 50,000 as in the FST paper)
 * @param epochs backdoor training epochs (default 10)
 * @param learningRate backdoor training learning rate (default 0.1; 0.01 for WaNet, as the paper)
 * @param augment backdoor training augmentation: {@code flip} (default: horizontal flips only),
 *     {@code crop-flip} (the reference recipe: random crop with padding 4 and flips) or {@code none}
 * @param tuneEpochs FST and FT epochs (default 10)
 * @param tuneLearningRate FST and FT learning rate (default 0.02)
 * @param alpha FST's alpha (default 0.02: the small CNN's head norm is large, and the paper's 0.2,
 *     tuned for ResNet-18, costs it most of its clean accuracy; see docs/lab.md)
 * @param methods the defenses to run, in order (default FT and FST; {@code all} on the command line
 *     runs every one of {@link Defenses#NAMES}; empty: only the backdoored model is measured)
 * @param seed the seed of everything (default 1)
 * @param device the device, or {@code null} for DJL's default (a GPU when present)
 * @param cache the model store folder (default {@code .fst-lab})
 * @param retrain train again even when the store has the model
 */
public record LabOptions(
        String data,
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
        double alpha,
        List<String> methods,
        long seed,
        Device device,
        Path cache,
        boolean retrain) {

    /** The usage text. */
    public static final String USAGE = String.join("\n",
            "usage: BackdoorLab [options]",
            "  --data SPEC          synthetic (default) | cifar10:DIR | gtsrb:DIR | folder:DIR",
            "  --synthetic-train N  synthetic training images to generate (default 50000)",
            "  --synthetic-test N   synthetic test images to generate (default 10000)",
            "  --attack NAME        " + String.join(" | ", Attacks.NAMES) + " (default badnet-grid)",
            "  --rate R             poisoning rate in (0, 1] (default 0.01)",
            "  --target K           target class (default 0)",
            "  --model NAME         small-cnn (default) | resnet18 | preact-resnet18 | vgg19-bn",
            "  --train N            backdoor training images, 0 = all (default 20000)",
            "  --tune N             clean tuning images held out (default 1000)",
            "  --epochs N           backdoor training epochs (default 10)",
            "  --lr X               backdoor training learning rate (default 0.1; wanet 0.01)",
            "  --augment A          backdoor training augmentation: flip (default) | crop-flip | none",
            "  --tune-epochs N      FST/FT epochs (default 10)",
            "  --tune-lr X          FST/FT learning rate (default 0.02)",
            "  --alpha X            FST alpha (default 0.02; the paper's 0.2 is tuned for ResNet-18)",
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
        Preconditions.checkArgument(tune >= 1, "--tune must be >= 1 but was %s", tune);
        Preconditions.checkArgument(epochs >= 1, "--epochs must be >= 1 but was %s", epochs);
        Preconditions.checkArgument(learningRate > 0, "--lr must be > 0 but was %s", learningRate);
        Preconditions.checkArgument(augment.equals("flip") || augment.equals("crop-flip") || augment.equals("none"),
                "--augment must be flip, crop-flip or none but was '%s'", augment);
        Preconditions.checkArgument(tuneEpochs >= 1, "--tune-epochs must be >= 1 but was %s", tuneEpochs);
        Preconditions.checkArgument(tuneLearningRate > 0, "--tune-lr must be > 0 but was %s", tuneLearningRate);
        Preconditions.checkArgument(alpha >= 0, "--alpha must be >= 0 but was %s", alpha);
        for (String method : methods) {
            Preconditions.checkArgument(Defenses.NAMES.contains(method), "unknown defense '%s' in --methods; use %s or all",
                    method, String.join(",", Defenses.NAMES));
        }
        methods = List.copyOf(methods);
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
                p.syntheticTrain = 2400;
                p.syntheticTest = 500;
                p.train = 0;
                p.tune = 200;
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
        double lr = p.learningRate != null ? p.learningRate : "wanet".equals(p.attack) ? 0.01 : 0.1;
        return new LabOptions(p.data, p.syntheticTrain, p.syntheticTest, p.attack, p.rate, p.target, p.model, p.train,
                p.tune, p.epochs, lr, p.augment, p.tuneEpochs, p.tuneLearningRate, p.alpha, p.methods, p.seed, p.device, p.cache, p.retrain);
    }

    /** Mutable defaults while parsing. */
    private static final class Parser {
        String data = "synthetic";
        int syntheticTrain = 50_000;
        int syntheticTest = 10_000;
        String attack = "badnet-grid";
        double rate = 0.01;
        int target = 0;
        Architecture model = Architecture.SMALL_CNN;
        int train = 20_000;
        int tune = 1_000;
        int epochs = 10;
        Double learningRate;
        String augment = "flip";
        int tuneEpochs = 10;
        double tuneLearningRate = 0.02;
        double alpha = 0.02;
        List<String> methods = List.of("FT", "FST");
        long seed = 1;
        Device device;
        Path cache = Path.of(".fst-lab");
        boolean retrain;
    }
}
