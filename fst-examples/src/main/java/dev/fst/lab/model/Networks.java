package dev.fst.lab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/** Builders of the blocks behind {@link Architecture}. */
final class Networks {

    private static final int[] VGG19 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0,
        512, 512, 512, 512, 0};

    private Networks() {}

    static Block resnet18(int classes) {
        SequentialBlock features = new SequentialBlock().add(conv3(64, 1)).add(bn()).add(Activation.reluBlock());
        addStages(features, false);
        features.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock());
        return new SequentialBlock().add(features).add(linear(classes));
    }

    static Block preactResnet18(int classes) {
        SequentialBlock features = new SequentialBlock().add(conv3(64, 1));
        addStages(features, true);
        features.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock());
        return new SequentialBlock().add(features).add(linear(classes));
    }

    private static void addStages(SequentialBlock features, boolean preActivation) {
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int channels = 64 << stage;
            for (int unit = 0; unit < 2; unit++) {
                int stride = stage > 0 && unit == 0 ? 2 : 1;
                boolean project = in != channels || stride != 1;
                features.add(preActivation ? preActBlock(channels, stride, project) : basicBlock(channels, stride, project));
                in = channels;
            }
        }
    }

    /** conv-BN-ReLU-conv-BN plus shortcut, then ReLU. */
    private static Block basicBlock(int channels, int stride, boolean project) {
        SequentialBlock main = new SequentialBlock()
                .add(conv3(channels, stride)).add(bn()).add(Activation.reluBlock())
                .add(conv3(channels, 1)).add(bn());
        Block shortcut = project ? new SequentialBlock().add(conv1(channels, stride)).add(bn()) : Blocks.identityBlock();
        return new ParallelBlock(
                list -> new NDList(Activation.relu(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow()))),
                List.of(main, shortcut));
    }

    /**
     * BN-ReLU first; the projection shortcut (when present) reads the pre-activated input, the
     * identity shortcut the raw input, as in BackdoorBench's {@code PreActBlock}.
     */
    private static Block preActBlock(int channels, int stride, boolean project) {
        SequentialBlock preActivate = new SequentialBlock().add(bn()).add(Activation.reluBlock());
        SequentialBlock main = new SequentialBlock()
                .add(conv3(channels, stride)).add(bn()).add(Activation.reluBlock()).add(conv3(channels, 1));
        Block shortcut = project ? conv1(channels, stride) : Blocks.identityBlock();
        Block branches = new ParallelBlock(
                list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                List.of(main, shortcut));
        if (project) {
            return new SequentialBlock().add(preActivate).add(branches);
        }
        // identity shortcut: main path sees BN-ReLU(x), shortcut sees x
        return new ParallelBlock(
                list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                List.of(new SequentialBlock().add(preActivate).add(main), Blocks.identityBlock()));
    }

    static Block vgg19Bn(int classes) {
        SequentialBlock features = new SequentialBlock();
        for (int filters : VGG19) {
            if (filters == 0) {
                features.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
            } else {
                features.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .setFilters(filters).build()).add(bn()).add(Activation.reluBlock());
            }
        }
        // torchvision's AdaptiveAvgPool2d((7, 7)) on a 1x1 map repeats each channel 49 times
        features.add(new LambdaBlock(list -> {
            NDArray x = list.singletonOrThrow();
            Shape s = x.getShape();
            long n = s.get(0);
            long c = s.get(1);
            if (s.get(2) != 1 || s.get(3) != 1) {
                throw new IllegalArgumentException("VGG19-BN expects 32x32 images (a 1x1 feature map) but the map is "
                        + s.get(2) + "x" + s.get(3));
            }
            return new NDList(x.reshape(n, c, 1).broadcast(new Shape(n, c, 49)).reshape(n, c * 49));
        }, "Replicate7x7"));
        SequentialBlock head = new SequentialBlock()
                .add(linear(4096)).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build())
                .add(linear(4096)).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build())
                .add(linear(classes));
        return new SequentialBlock().add(features).add(head);
    }

    static Block vggSmall(int classes) {
        SequentialBlock features = new SequentialBlock();
        for (int filters : new int[] {32, 64, 128}) {
            features.add(conv3(filters, 1)).add(bn()).add(Activation.reluBlock())
                    .add(conv3(filters, 1)).add(bn()).add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        }
        features.add(Blocks.batchFlattenBlock());
        SequentialBlock head = new SequentialBlock()
                .add(linear(256)).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build())
                .add(linear(256)).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build())
                .add(linear(classes));
        return new SequentialBlock().add(features).add(head);
    }

    static Block smallCnn(int classes) {
        SequentialBlock features = new SequentialBlock()
                .add(conv3(32, 1)).add(bn()).add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(conv3(64, 1)).add(bn()).add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(conv3(64, 1)).add(bn()).add(Activation.reluBlock())
                .add(conv3(128, 1)).add(bn()).add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock());
        return new SequentialBlock().add(features).add(linear(classes));
    }

    private static Conv2d conv3(int filters, int stride) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optStride(new Shape(stride, stride))
                .optPadding(new Shape(1, 1)).setFilters(filters).optBias(false).build();
    }

    private static Conv2d conv1(int filters, int stride) {
        return Conv2d.builder().setKernelShape(new Shape(1, 1)).optStride(new Shape(stride, stride))
                .setFilters(filters).optBias(false).build();
    }

    private static BatchNorm bn() {
        return BatchNorm.builder().build();
    }

    private static Linear linear(int units) {
        return Linear.builder().setUnits(units).build();
    }

    /**
     * Re-draws every convolution and linear weight, and the bias that follows it, from
     * U(-1/sqrt(fanIn), +1/sqrt(fanIn)) with the engine's (seeded) generator: PyTorch's default
     * initialisation, which the reference's ResNet-18, PreAct-ResNet-18 and VGG19-BN start from.
     * DJL's default Xavier initialisation draws about 2.4 times wider weights. BatchNorm parameters
     * keep DJL's (and PyTorch's) ones and zeros.
     */
    static void torchDefaultInit(Block block, ai.djl.ndarray.NDManager manager) {
        long fanIn = 0;
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> pair : block.getParameters()) {
            ai.djl.nn.Parameter parameter = pair.getValue();
            Shape shape = parameter.getArray().getShape();
            ai.djl.nn.Parameter.Type type = parameter.getType();
            if (type == ai.djl.nn.Parameter.Type.WEIGHT && shape.dimension() >= 2) {
                fanIn = shape.size() / shape.get(0);
            } else if (type != ai.djl.nn.Parameter.Type.BIAS || fanIn == 0 || shape.dimension() != 1) {
                continue;
            }
            float bound = (float) (1 / Math.sqrt(fanIn));
            try (ai.djl.ndarray.NDManager scope = manager.newSubManager()) {
                scope.randomUniform(-bound, bound, shape).copyTo(parameter.getArray());
            }
            if (type == ai.djl.nn.Parameter.Type.BIAS) {
                fanIn = 0;
            }
        }
    }
}
