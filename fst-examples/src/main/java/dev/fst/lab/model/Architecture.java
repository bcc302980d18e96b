package dev.fst.lab.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The lab's image classifiers, each a DJL {@code SequentialBlock} of exactly two children:
 * {@code [features, head]}, so that FST's head auto-detection finds the head and {@code
 * HeadSelector.of(head)} can name it.
 *
 * <ul>
 *   <li>{@link #RESNET18}: the CIFAR ResNet-18 of the FST reference (3x3 stem, no max-pool,
 *       BasicBlocks 2-2-2-2, global average pool, {@code Linear(512, C)}); 11,173,962 parameters
 *       for 10 classes, as PyTorch's.
 *   <li>{@link #PREACT_RESNET18}: BackdoorBench's pre-activation ResNet-18; 11,171,146 parameters
 *       for 10 classes.
 *   <li>{@link #VGG19_BN}: torchvision's {@code vgg19_bn} on 32x32 inputs (the 1x1 feature map is
 *       replicated to 7x7 as its adaptive pool does) with the 3-Linear head 25088-4096-4096-C;
 *       139,622,218 parameters for 10 classes.
 *   <li>{@link #VGG_SMALL}: a VGG-style network sized for 28x28 and 32x32 images on a CPU: three
 *       stages of two 3x3 conv-BN-ReLU layers (32, 64, 128 filters) each ending in a 2x2 max-pool,
 *       then VGG19-BN's head shape at a smaller width, Linear(256)-ReLU-Dropout-Linear(256)-ReLU-
 *       Dropout-Linear(C): a three-Linear head; 650,410 parameters on 1x28x28 images, 10 classes.
 *   <li>{@link #SMALL_CNN}: four conv-BN-ReLU layers (32-64-64-128 filters) for fast CPU runs,
 *       {@code Linear(128, C)} head; 180,394 parameters for 10 classes.
 * </ul>
 */
public enum Architecture {
    /** CIFAR ResNet-18. */
    RESNET18("resnet18"),
    /** Pre-activation ResNet-18. */
    PREACT_RESNET18("preact-resnet18"),
    /** VGG19 with BatchNorm and its three-Linear head. */
    VGG19_BN("vgg19-bn"),
    /** A small VGG-style network with a three-Linear head. */
    VGG_SMALL("vgg-small"),
    /** The lab's small CNN. */
    SMALL_CNN("small-cnn");

    private final String id;

    Architecture(String id) {
        this.id = id;
    }

    /**
     * Returns the command-line name, such as {@code resnet18}.
     *
     * @return the name
     */
    public String id() {
        return id;
    }

    /**
     * Finds an architecture by its command-line name.
     *
     * @param id a name such as {@code small-cnn}; case-insensitive
     * @return the architecture
     * @throws IllegalArgumentException naming the valid names if none matches
     */
    public static Architecture of(String id) {
        for (Architecture a : values()) {
            if (a.id.equals(id.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "unknown model '" + id + "'; use one of "
                        + Arrays.stream(values()).map(Architecture::id).collect(Collectors.joining(", ")));
    }

    /**
     * Builds the uninitialised block, {@code Sequential[features, head]}.
     *
     * @param classes the number of classes, {@code >= 2}
     * @return the block
     */
    public Block block(int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2 but was " + classes);
        }
        return switch (this) {
            case RESNET18 -> Networks.resnet18(classes);
            case PREACT_RESNET18 -> Networks.preactResnet18(classes);
            case VGG19_BN -> Networks.vgg19Bn(classes);
            case VGG_SMALL -> Networks.vggSmall(classes);
            case SMALL_CNN -> Networks.smallCnn(classes);
        };
    }

    /**
     * Builds the model and initialises its parameters from {@code seed} for square RGB images.
     *
     * @param classes the number of classes, {@code >= 2}
     * @param imageSize the image height and width, {@code >= 8}
     * @param seed the engine seed for the initial weights
     * @return a new model; the caller closes it
     */
    public Model newModel(int classes, int imageSize, long seed) {
        return newModel(classes, imageSize, seed, null);
    }

    /**
     * Builds the model on a device and initialises its parameters from {@code seed}.
     *
     * @param classes the number of classes, {@code >= 2}
     * @param imageSize the image height and width, {@code >= 8}
     * @param seed the engine seed for the initial weights
     * @param device the device, or {@code null} for DJL's default (a GPU when present)
     * @return a new model; the caller closes it
     */
    public Model newModel(int classes, int imageSize, long seed, Device device) {
        return newModel(classes, 3, imageSize, seed, device);
    }

    /**
     * Builds the model for images of any channel count on a device and initialises its parameters
     * from {@code seed}; the first convolution takes {@code channels} inputs.
     *
     * @param classes the number of classes, {@code >= 2}
     * @param channels the images' channels, {@code >= 1} (1 for grayscale, 3 for RGB)
     * @param imageSize the image height and width, {@code >= 8}
     * @param seed the engine seed for the initial weights
     * @param device the device, or {@code null} for DJL's default (a GPU when present)
     * @return a new model; the caller closes it
     */
    public Model newModel(int classes, int channels, int imageSize, long seed, Device device) {
        if (imageSize < 8) {
            throw new IllegalArgumentException("imageSize must be >= 8 but was " + imageSize);
        }
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1 but was " + channels);
        }
        Block block = block(classes);
        Model model = Model.newInstance(id, device, "PyTorch");
        model.setBlock(block);
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, channels, imageSize, imageSize));
        if (this != SMALL_CNN) {
            Networks.torchDefaultInit(block, model.getNDManager());
        }
        return model;
    }
}
