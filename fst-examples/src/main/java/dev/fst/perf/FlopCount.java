package dev.fst.perf;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;

/**
 * Counts the floating-point operations of a forward pass: two per multiply-add of every
 * convolution and fully connected layer (their weights times the output positions). Batch norm,
 * activations, pooling and additions are left out; on the lab's networks they are under 2 % of the
 * total. A training step costs about three forward passes (forward, gradient with respect to the
 * input, gradient with respect to the weights), which {@link #trainingFlopsPerImage} applies.
 */
public final class FlopCount {

    private FlopCount() {}

    /**
     * Returns the forward FLOPs of one image.
     *
     * @param block an initialised block built from {@link SequentialBlock}s, {@link ParallelBlock}s
     *     and leaf layers
     * @param imageShape one image, (C, H, W)
     * @return FLOPs per image
     * @throws IllegalArgumentException if the block holds a composite block of another kind
     */
    public static long forwardFlopsPerImage(Block block, Shape imageShape) {
        Shape input = new Shape(1).addAll(imageShape);
        return 2 * multiplyAdds(block, input);
    }

    /**
     * Returns the FLOPs of one training step per image: three times the forward FLOPs.
     *
     * @param block an initialised block, as for {@link #forwardFlopsPerImage}
     * @param imageShape one image, (C, H, W)
     * @return FLOPs per image and step
     */
    public static long trainingFlopsPerImage(Block block, Shape imageShape) {
        return 3 * forwardFlopsPerImage(block, imageShape);
    }

    private static long multiplyAdds(Block block, Shape input) {
        if (block instanceof Convolution || block instanceof Linear) {
            Shape output = block.getOutputShapes(new Shape[] {input})[0];
            long positions = output.size() / output.get(1);
            long weights = block.getParameters().get("weight").getArray().getShape().size();
            return weights * positions;
        }
        if (block instanceof SequentialBlock) {
            long total = 0;
            Shape shape = input;
            for (Pair<String, Block> child : block.getChildren()) {
                total += multiplyAdds(child.getValue(), shape);
                shape = child.getValue().getOutputShapes(new Shape[] {shape})[0];
            }
            return total;
        }
        if (block instanceof ParallelBlock) {
            long total = 0;
            for (Pair<String, Block> child : block.getChildren()) {
                total += multiplyAdds(child.getValue(), input);
            }
            return total;
        }
        if (!block.getChildren().isEmpty()) {
            throw new IllegalArgumentException("cannot count the FLOPs of a " + block.getClass().getSimpleName()
                    + " with child blocks; only SequentialBlock and ParallelBlock are walked");
        }
        return 0;
    }
}
