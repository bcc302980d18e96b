package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.fst.internal.EngineAdapter;
import dev.fst.optim.TorchSgd;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The three losses of I-BAU on a model that runs in inference mode, each evaluated with one
 * gradient recording (opened and closed here, so never two at a time):
 *
 * <ul>
 *   <li>the perturbation search, {@code -CE(f(x + delta), argmax f(x)) + l2 * |delta|^2}, one plain
 *       SGD step on {@code delta} per batch;
 *   <li>the inner loss {@code l_in(delta, theta) = -CE(f_theta(x0 + delta), y0) + l2 *
 *       |delta|^2} on the stored first batch;
 *   <li>the outer loss {@code l_out = CE(f_theta(x + mask * delta), y)}.
 * </ul>
 *
 * <p>CE is the mean softmax cross-entropy. Gradients are taken with respect to a fresh leaf copy
 * of {@code delta} (so the long-lived perturbation never records a graph) and the weights; weight
 * gradients are copied out and the weights' own gradients zeroed, so nothing accumulates between
 * passes. The perturbation search does not need weight gradients: the weights stop requiring
 * gradients for its passes, which spares their backward computation. The inner loss is only ever
 * differentiated twice, through {@link #curvature}.
 */
final class UnlearningLosses {

    /** The outer loss of one mini-batch, its logits and its gradients. */
    record Outer(NDArray loss, NDArray logits, Derivatives gradients) {}

    private final Function<NDArray, NDArray> inferenceForward;
    private final List<NDArray> weights;
    private final Supplier<GradientCollector> collectors;
    private final float perturbationL2;

    /**
     * Creates the losses.
     *
     * @param inferenceForward runs the model in inference mode (BatchNorm frozen): images to logits
     * @param weights the trainable weight arrays, with gradients enabled
     * @param collectors opens a gradient recording
     * @param perturbationL2 the factor of {@code |delta|^2}, {@code >= 0}
     */
    UnlearningLosses(
            Function<NDArray, NDArray> inferenceForward,
            List<NDArray> weights,
            Supplier<GradientCollector> collectors,
            double perturbationL2) {
        this.inferenceForward = inferenceForward;
        this.weights = List.copyOf(weights);
        this.collectors = collectors;
        this.perturbationL2 = (float) perturbationL2;
    }

    /**
     * Takes one SGD step on {@code delta}, in place, against the model's own predictions on the
     * clean images.
     *
     * @param images the clean images of one batch
     * @param delta the perturbation, updated in place
     * @param learningRate the SGD step
     * @param scope the batch's manager
     */
    void perturbationStep(NDArray images, NDArray delta, double learningRate, NDManager scope) {
        NDArray predicted = inferenceForward.apply(images).argMax(1);
        predicted.attach(scope);
        NDArray leaf = leafCopy(delta, scope);
        setWeightGradients(false);
        try (GradientCollector collector = collectors.get()) {
            NDArray logits = inferenceForward.apply(leaf.add(images));
            NDArray loss = meanCrossEntropy(logits, predicted).neg().add(regulariser(leaf));
            collector.backward(loss);
        } finally {
            setWeightGradients(true);
        }
        NDArray step = gradient(leaf, scope).muli((float) learningRate);
        delta.subi(step);
    }

    /**
     * Opens the inner loss's exact second-derivative products at {@code delta} and the current
     * weights: one forward pass on the stored batch and one create-graph gradient {@code
     * grad_delta l_in}, from which every product is a further differentiation ({@link
     * TorchAutograd}, nothing stored in any {@code .grad}). The returned object holds this run's
     * single gradient recording open until it is closed.
     *
     * @param images the stored first batch's images
     * @param labels its labels
     * @param delta the perturbation; not modified
     * @param scope the batch's manager; every array of the products lives here
     * @return the products; close it before opening another gradient recording
     */
    InnerCurvature curvature(NDArray images, NDArray labels, NDArray delta, NDManager scope) {
        return new InnerCurvature(images, labels, delta, scope);
    }

    /** Exact Hessian-vector products of {@code l_in}, by double differentiation. */
    final class InnerCurvature implements Hypergradient.Curvature, AutoCloseable {
        private final GradientCollector recording;
        private final NDArray point;
        private final NDArray perturbationGradient;

        private InnerCurvature(NDArray images, NDArray labels, NDArray delta, NDManager scope) {
            point = leafCopy(delta, scope);
            recording = collectors.get();
            try {
                NDArray logits = inferenceForward.apply(point.add(images));
                NDArray loss = meanCrossEntropy(logits, labels).neg().add(regulariser(point));
                perturbationGradient = TorchAutograd.grad(loss, List.of(point), true, scope).get(0);
            } catch (RuntimeException e) {
                recording.close();
                throw e;
            }
        }

        @Override
        public Derivatives times(NDArray v, boolean withWeights, NDManager scope) {
            NDArray weighted = perturbationGradient.mul(v);
            weighted.attach(scope);
            NDArray directional = weighted.sum();
            List<NDArray> inputs = new ArrayList<>(weights.size() + 1);
            inputs.add(point);
            if (withWeights) {
                inputs.addAll(weights);
            }
            List<NDArray> products = TorchAutograd.grad(directional, inputs, false, scope);
            List<NDArray> weightProducts =
                    withWeights ? products.subList(1, products.size()) : List.of();
            return new Derivatives(products.get(0), weightProducts);
        }

        @Override
        public void close() {
            recording.close();
        }
    }

    /**
     * Returns the outer loss {@code CE(f(x + mask * delta), y)} with its logits and its gradients
     * with respect to {@code delta} and the weights.
     *
     * @param images the batch's images, shape (B, C, H, W)
     * @param labels the batch's labels
     * @param rowMask shape (B, 1, 1, 1): 1 for the images that get {@code delta}, 0 otherwise
     * @param delta the perturbation, shape (1, C, H, W); not modified
     * @param scope the batch's manager
     * @return the loss, logits and gradients
     */
    Outer outerGradient(
            NDArray images, NDArray labels, NDArray rowMask, NDArray delta, NDManager scope) {
        NDArray leaf = leafCopy(delta, scope);
        NDArray logits;
        NDArray loss;
        try (GradientCollector collector = collectors.get()) {
            NDArray patched = rowMask.mul(leaf);
            patched.attach(scope);
            logits = inferenceForward.apply(patched.add(images));
            loss = meanCrossEntropy(logits, labels);
            collector.backward(loss);
        }
        return new Outer(
                loss, logits, new Derivatives(gradient(leaf, scope), takeWeightGradients(scope)));
    }

    /**
     * Returns the mean softmax cross-entropy, as PyTorch's {@code F.cross_entropy}; every array it
     * makes belongs to the logits' manager, whatever manager the labels live in.
     *
     * @param logits shape (B, classes)
     * @param labels shape (B), integer classes
     * @return a scalar
     */
    static NDArray meanCrossEntropy(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1));
        oneHot.attach(logits.getManager());
        NDArray target = oneHot.toType(logits.getDataType(), false);
        return logits.logSoftmax(1).mul(target).sum().neg().div(logits.getShape().get(0));
    }

    private NDArray regulariser(NDArray leaf) {
        return leaf.square().sum().mul(perturbationL2);
    }

    private static NDArray leafCopy(NDArray array, NDManager scope) {
        NDArray copy = array.duplicate();
        copy.attach(scope);
        copy.setRequiresGradient(true);
        return copy;
    }

    private static NDArray gradient(NDArray leaf, NDManager scope) {
        NDArray gradient = EngineAdapter.gradient(leaf);
        if (gradient == null) {
            return scope.zeros(leaf.getShape(), leaf.getDataType());
        }
        gradient.attach(scope);
        return gradient;
    }

    private List<NDArray> takeWeightGradients(NDManager scope) {
        List<NDArray> gradients = new ArrayList<>(weights.size());
        for (NDArray weight : weights) {
            NDArray gradient = EngineAdapter.gradient(weight);
            if (gradient == null) {
                gradients.add(scope.zeros(weight.getShape(), weight.getDataType()));
                continue;
            }
            gradient.attach(scope);
            gradients.add(gradient.duplicate());
            TorchSgd.zeroGradient(weight);
        }
        return gradients;
    }

    private void setWeightGradients(boolean required) {
        for (NDArray weight : weights) {
            weight.setRequiresGradient(required);
        }
    }
}
