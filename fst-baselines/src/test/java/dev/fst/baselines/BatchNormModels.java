package dev.fst.baselines;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.stream.Collectors;

/** Tiny models with a chosen number of conv(-BN)-ReLU stages, for the BatchNorm-mask tests. */
final class BatchNormModels {

    private BatchNormModels() {}

    /** {@code stages} conv stages of 8 filters, each followed by BatchNorm when asked, then a Linear head. */
    static Model convNet(int stages, boolean batchNorm, int classes, int seed) {
        SequentialBlock net = new SequentialBlock();
        for (int stage = 0; stage < stages; stage++) {
            net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                    .setFilters(8).build());
            if (batchNorm) {
                net.add(BatchNorm.builder().build());
            }
            net.add(Activation.reluBlock());
        }
        net.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(classes).build());
        Model model = Model.newInstance("bn-test", "PyTorch");
        model.setBlock(net);
        Engine.getEngine("PyTorch").setRandomSeed(seed);
        net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 8, 8));
        return model;
    }

    /** The trainable parameters' names (BatchNorm running statistics excluded). */
    static List<String> trainableNames(Model model) {
        return model.getBlock().getParameters().stream()
                .filter(pair -> pair.getValue().requiresGradient())
                .map(pair -> pair.getKey())
                .collect(Collectors.toList());
    }

    /** Mean cross-entropy of a training-mode forward pass (BatchNorm uses batch statistics). */
    static NDArray trainingLoss(Model model, NDArray images, NDArray labels, NDManager scope) {
        NDArray logits = model.getBlock()
                .forward(new ParameterStore(scope, false), new NDList(images), true).singletonOrThrow();
        int classes = (int) logits.getShape().get(1);
        return logits.logSoftmax(1).mul(labels.oneHot(classes)).sum().neg().div(images.getShape().get(0));
    }
}
