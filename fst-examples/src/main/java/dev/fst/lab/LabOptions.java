package dev.fst.lab;

import ai.djl.Device;
import com.google.common.base.Preconditions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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
 * (see {@link #usage()}).
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
 * @param methods the methods to run, in order (default FT and FST; {@code all} on the command line
 *     runs every one of {@link LabMethods#NAMES}; empty: only the backdoored model is measured)
 * @param seed the seed of everything (default 1)
 * @param device the device, or {@code null} for DJL's default (a GPU when present)
 * @param cache the model store folder (default {@code .fst-lab})
 * @param retrain train again even when the store has the model
 * @param retuneCheck whether each method's model also gets the retuning attack, whose P-ASR the
 *     table reports (default off)
 * @param referenceRows whether the table also has the retuning attack's reference rows: a model
 *     trained without the backdoor, and exact purification (default off)
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
        boolean retrain,
        boolean retuneCheck,
        boolean referenceRows) {

    /** Backdoor training epochs of the main job. */
    public static final int REAL_EPOCHS = 10;

    /** Backdoor training augmentation of the main job on real data. */
    public static final String REAL_AUGMENT = "flip";

    /**
     * Parses command-line options into unresolved settings, for callers that derive several runs
     * from one command line (the benchmark's grid).
     *
     * @param args the arguments
     * @return the settings; {@link Settings#resolve()} fills in the defaults and validates
     * @throws IllegalArgumentException naming an unknown option or a malformed value
     */
    public static Settings settings(String... args) {
        return OptionParsing.parse(new Settings(), args);
    }

    /**
     * Returns the usage text, generated by picocli from the options' annotations.
     *
     * @return the usage, one option per line with its default
     */
    public static String usage() {
        return OptionParsing.usage(new Settings());
    }

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
     * @param retuneCheck see the record description
     * @param referenceRows see the record description
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
            Preconditions.checkArgument(LabMethods.NAMES.contains(method), "unknown method '%s' in --methods; use %s or all",
                    method, String.join(",", LabMethods.NAMES));
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
     * Parses command-line options with picocli; an option given twice takes its last value (the
     * benchmark puts its tier's settings first, the user's after).
     *
     * @param args the arguments
     * @return the options
     * @throws IllegalArgumentException naming an unknown option, a missing or malformed value
     */
    public static LabOptions parse(String[] args) {
        return settings(args).resolve();
    }

    /**
     * The lab's settings as parsed, before {@link #resolve()} fills in the defaults of the data:
     * the main job on Fashion-MNIST (the paper's protocol and FST settings) or the synthetic
     * fallback (the earlier lab's sizes and settings, see {@link #usage()}). Mutable and not
     * thread-safe; {@link #copy()} before changing settings that others share.
     */
    @Command(mixinStandardHelpOptions = true, name = "lab", sortOptions = false, description = "The backdoor lab (defaults: Fashion-MNIST / synthetic"
            + " fallback).", footer = {"", "Examples:", "  fst lab                                    the main job",
                "  fst lab --attack blended --rate 0.05 --methods all",
                "  fst lab --data synthetic --model resnet18 --device gpu"})
    public static final class Settings {
        @Option(names = "--data", paramLabel = "SPEC", description = "auto (default: fashion-mnist when installed, else"
                + " synthetic) | fashion-mnist[:DIR] | mnist:DIR | synthetic | cifar10:DIR | gtsrb:DIR | folder:DIR")
        String data = "auto";
        @Option(names = "--synthetic-train", paramLabel = "N",
                description = "synthetic training images to generate (default 50000)")
        int syntheticTrain = 50_000;
        @Option(names = "--synthetic-test", paramLabel = "N",
                description = "synthetic test images to generate (default 10000)")
        int syntheticTest = 10_000;
        String attack;
        @Option(names = "--rate", paramLabel = "R", description = "poisoning rate in (0, 1] (default 0.01)")
        double rate = 0.01;
        @Option(names = "--target", paramLabel = "K", description = "target class (default 0)")
        int target = 0;
        Architecture model = Architecture.SMALL_CNN;
        @Option(names = "--train", paramLabel = "N", description = "backdoor training images, 0 = all (default 0 / 20000)")
        Integer train;
        @Option(names = "--tune", paramLabel = "N",
                description = "clean tuning images held out, 0 = 2%% of the training set (default 0 / 1000)")
        Integer tune;
        @Option(names = "--epochs", paramLabel = "N", description = "backdoor training epochs (default " + REAL_EPOCHS + ")")
        Integer epochs;
        @Option(names = "--lr", paramLabel = "X", description = "backdoor training learning rate (default 0.1; wanet 0.01)")
        Double learningRate;
        @Option(names = "--augment", paramLabel = "A", description = "backdoor training augmentation: flip | crop-flip |"
                + " none (default " + REAL_AUGMENT + " / flip)")
        String augment;
        @Option(names = "--tune-epochs", paramLabel = "N", description = "FST/FT epochs (default 10)")
        Integer tuneEpochs;
        @Option(names = "--tune-lr", paramLabel = "X", description = "FST/FT learning rate (default 0.01 / 0.02)")
        Double tuneLearningRate;
        @Option(names = "--alpha", paramLabel = "X",
                description = "FST alpha in the paper's scale (default: chosen on held-out clean data)")
        Double alpha;
        List<String> methods = List.of("FT", "FST");
        @Option(names = "--seed", paramLabel = "N", description = "seed (default 1)")
        long seed = 1;
        Device device;
        @Option(names = "--cache", paramLabel = "DIR", description = "trained-model store (default .fst-lab)")
        Path cache = Path.of(".fst-lab");
        @Option(names = "--retrain", description = "train even if the store has the model")
        boolean retrain;
        @Option(names = "--retune-check", description = "after each method, run the retuning attack (5 triggered"
                + " training images in the tuning set, SGD lr 0.01, 5 epochs) and report its P-ASR")
        boolean retuneCheck;
        @Option(names = "--reference-rows", description = "add the retuning attack's reference rows: the model trained"
                + " without the backdoor (the floor) and exact purification (FT on the training set with the poisoned"
                + " images labelled correctly)")
        boolean referenceRows;
        boolean smoke;

        /**
         * Sets the attack.
         *
         * @param value an attack name, any case
         * @return this
         */
        @Option(names = "--attack", paramLabel = "NAME", description = "an attack (default badnet / badnet-grid): "
                + "badnet, badnet-grid, blended, sig, wanet, lc, adaptive-blend")
        public Settings attack(String value) {
            attack = value.toLowerCase(Locale.ROOT);
            return this;
        }

        /**
         * Sets the architecture.
         *
         * @param value a lab architecture name
         * @return this
         * @throws IllegalArgumentException for an unknown name
         */
        @Option(names = "--model", paramLabel = "NAME",
                description = "small-cnn (default) | vgg-small | resnet18 | preact-resnet18 | vgg19-bn")
        public Settings model(String value) {
            model = Architecture.of(value);
            return this;
        }

        @Option(names = "--methods", paramLabel = "LIST", description = "methods, comma-separated, or all (default"
                + " FT,FST): FT, LP, FE-tuning, FT-init, FT+SAM, NGF, ANP, I-BAU, NFT, FST, PAM, FST+PAM")
        void methods(String value) {
            methods = LabMethods.parse(value);
        }

        @Option(names = "--device", paramLabel = "D", description = "cpu | gpu | gpu:N (default: a GPU when present)")
        void device(String value) {
            device = Device.fromName(value);
        }

        @Option(names = "--smoke", description = "tiny sizes for a quick check (overridable by later options)")
        void smoke(boolean on) {
            smoke = true;
            syntheticTrain = 2400;
            syntheticTest = 500;
            epochs = 4;
            tuneEpochs = 4;
        }

        /**
         * Returns a copy to change for one cell of a grid.
         *
         * @return the copy
         */
        public Settings copy() {
            Settings c = new Settings();
            c.data = data;
            c.syntheticTrain = syntheticTrain;
            c.syntheticTest = syntheticTest;
            c.attack = attack;
            c.rate = rate;
            c.target = target;
            c.model = model;
            c.train = train;
            c.tune = tune;
            c.epochs = epochs;
            c.learningRate = learningRate;
            c.augment = augment;
            c.tuneEpochs = tuneEpochs;
            c.tuneLearningRate = tuneLearningRate;
            c.alpha = alpha;
            c.methods = methods;
            c.seed = seed;
            c.device = device;
            c.cache = cache;
            c.retrain = retrain;
            c.smoke = smoke;
            c.retuneCheck = retuneCheck;
            c.referenceRows = referenceRows;
            return c;
        }

        /**
         * Sets the poisoning rate.
         *
         * @param value in (0, 1], checked by {@link #resolve()}
         * @return this
         */
        public Settings rate(double value) {
            rate = value;
            return this;
        }

        /**
         * Sets the methods.
         *
         * @param names method names as {@link LabMethods#NAMES} spells them
         * @return this
         */
        public Settings methods(List<String> names) {
            methods = List.copyOf(names);
            return this;
        }

        /**
         * Fills in the defaults of the data and attack and validates every setting.
         *
         * @return the options
         * @throws IllegalArgumentException naming a bad setting
         */
        public LabOptions resolve() {
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
                    methods, seed, device, cache, retrain, retuneCheck, referenceRows);
        }
    }
}
