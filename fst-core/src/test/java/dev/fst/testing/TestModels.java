package dev.fst.testing;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;

/** Small DJL models for tests, all shaped {@code Sequential[features, head]}. */
public final class TestModels {

    private TestModels() {}

    /** The directory of the committed TorchScript and golden fixtures. */
    public static Path fixtures() {
        return Paths.get("src/test/resources/fixtures").toAbsolutePath();
    }

    /**
     * Loads a committed TorchScript fixture for tuning (trainParam=true unless said otherwise): from
     * this module's fixture directory, or else from {@code fixtures/} on the test classpath (how
     * other modules see fst-core's fixtures, through its test-jar, and their own).
     */
    public static Model torchScript(String file, boolean trainParam) throws Exception {
        Path directory = fixtures();
        if (!Files.isRegularFile(directory.resolve(file))) {
            directory = fromClasspath(file);
        }
        Model model = Model.newInstance("ts-" + file, "PyTorch");
        model.load(directory, file, Map.of("trainParam", String.valueOf(trainParam)));
        return model;
    }

    /** Copies {@code fixtures/<file>} from the classpath into a temporary directory, once. */
    private static synchronized Path fromClasspath(String file) throws IOException {
        Path copy = COPIES.resolve(file);
        if (!Files.isRegularFile(copy)) {
            try (InputStream in = TestModels.class.getResourceAsStream("/fixtures/" + file)) {
                if (in == null) {
                    throw new IOException("no fixture " + file + " in " + fixtures() + " or on the classpath");
                }
                Files.copy(in, copy);
                copy.toFile().deleteOnExit();
            }
        }
        return COPIES;
    }

    private static final Path COPIES = temporaryDirectory();

    private static Path temporaryDirectory() {
        try {
            Path directory = Files.createTempDirectory("fst-fixtures");
            directory.toFile().deleteOnExit();
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Two conv-BN-ReLU stages, global pooling and a single Linear head. */
    public static Model cnn(int classes, int size, int seed) {
        SequentialBlock features = smallFeatures();
        SequentialBlock net =
                new SequentialBlock().add(features).add(Linear.builder().setUnits(classes).build());
        return initialised("cnn", net, size, seed);
    }

    /** Conv features and a VGG-style three-Linear head with ReLU and dropout in between. */
    public static Model vgg(int classes, int size, int seed) {
        SequentialBlock features = smallFeatures();
        SequentialBlock head =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation.reluBlock())
                        .add(Dropout.builder().optRate(0.5f).build())
                        .add(Linear.builder().setUnits(32).build())
                        .add(Activation.reluBlock())
                        .add(Dropout.builder().optRate(0.5f).build())
                        .add(Linear.builder().setUnits(classes).build());
        return initialised("vgg", new SequentialBlock().add(features).add(head), size, seed);
    }

    private static SequentialBlock smallFeatures() {
        return new SequentialBlock()
                .add(conv(8, 1))
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(conv(16, 1))
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock());
    }

    /** The CIFAR ResNet-18 of the FST reference (3x3 stem, no max-pool, BasicBlocks 2-2-2-2). */
    public static Model resnet18(int classes, int seed) {
        SequentialBlock features =
                new SequentialBlock()
                        .add(conv(64, 1))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock());
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int channels = 64 << stage;
            for (int unit = 0; unit < 2; unit++) {
                int stride = stage > 0 && unit == 0 ? 2 : 1;
                features.add(basicBlock(channels, stride, in != channels || stride != 1));
                in = channels;
            }
        }
        features.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock());
        SequentialBlock net =
                new SequentialBlock().add(features).add(Linear.builder().setUnits(classes).build());
        return initialised("resnet18", net, 32, seed);
    }

    private static Block basicBlock(int channels, int stride, boolean projectShortcut) {
        SequentialBlock main =
                new SequentialBlock()
                        .add(conv(channels, stride))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock())
                        .add(conv(channels, 1))
                        .add(BatchNorm.builder().build());
        Block shortcut =
                projectShortcut
                        ? new SequentialBlock()
                                .add(
                                        Conv2d.builder()
                                                .setKernelShape(new Shape(1, 1))
                                                .optStride(new Shape(stride, stride))
                                                .setFilters(channels)
                                                .optBias(false)
                                                .build())
                                .add(BatchNorm.builder().build())
                        : Blocks.identityBlock();
        return new ParallelBlock(
                list -> new NDList(Activation.relu(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow()))),
                Arrays.asList(main, shortcut));
    }

    private static Conv2d conv(int filters, int stride) {
        return Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(1, 1))
                .setFilters(filters)
                .optBias(false)
                .build();
    }

    private static Model initialised(String name, Block net, int size, int seed) {
        Model model = Model.newInstance(name, "PyTorch");
        model.setBlock(net);
        Engine.getEngine("PyTorch").setRandomSeed(seed);
        net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, size, size));
        return model;
    }

    /** Counts the trainable values of a model (BatchNorm running statistics excluded). */
    public static long trainableCount(Model model) {
        return model.getBlock().getParameters().values().stream()
                .filter(p -> p.requiresGradient())
                .mapToLong(p -> p.getArray().size())
                .sum();
    }
}
