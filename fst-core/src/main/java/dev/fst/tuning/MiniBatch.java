package dev.fst.tuning;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One augmented mini-batch of the tuning data, as the loop hands it to {@link
 * TuningMethod#gradients}.
 *
 * @param manager owns every array of this step; closed after the step, so arrays a method creates
 *     here (or attaches here) are freed with it
 * @param images the images, shape (batch, C, H, W), float32 on the model's device
 * @param labels the class labels, shape (batch), int64
 * @param epoch the 1-based epoch
 * @param index the 1-based index of the batch within its epoch
 */
public record MiniBatch(NDManager manager, NDArray images, NDArray labels, int epoch, int index) {

    /**
     * Returns the number of images.
     *
     * @return {@code images.getShape().get(0)}
     */
    public int size() {
        return (int) images.getShape().get(0);
    }
}
