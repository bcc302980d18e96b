package dev.fst.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.fst.lab.data.LabeledImages;
import java.util.ArrayList;
import java.util.List;

/** Penultimate features of the lab's models, shaped {@code Sequential[features, head]}. */
final class Features {

    private Features() {}

    /**
     * Runs the feature extractor (the root block's first child) in inference mode.
     *
     * @param model a lab model
     * @param images the images, as the lab feeds them ([0, 1] CHW)
     * @param manager owns the temporary arrays
     * @return one feature vector per image
     */
    static List<double[]> penultimate(Model model, LabeledImages images, NDManager manager) {
        if (!(model.getBlock() instanceof SequentialBlock root) || root.getChildren().size() != 2) {
            throw new IllegalArgumentException("expected a lab model shaped Sequential[features, head]");
        }
        Block features = root.getChildren().get(0).getValue();
        List<double[]> out = new ArrayList<>();
        for (int from = 0; from < images.size(); from += 256) {
            int[] idx = java.util.stream.IntStream.range(from, Math.min(images.size(), from + 256)).toArray();
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = images.select(idx).toArray(scope);
                NDArray f = features.forward(new ParameterStore(scope, false), new NDList(x), false).singletonOrThrow();
                long d = f.getShape().size() / idx.length;
                float[] values = f.toFloatArray();
                for (int i = 0; i < idx.length; i++) {
                    double[] v = new double[(int) d];
                    for (int k = 0; k < d; k++) {
                        v[k] = values[(int) (i * d + k)];
                    }
                    out.add(v);
                }
            }
        }
        return out;
    }
}
