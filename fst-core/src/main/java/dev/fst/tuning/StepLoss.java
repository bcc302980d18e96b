package dev.fst.tuning;

import ai.djl.ndarray.NDArray;

/**
 * What {@link TuningMethod#gradients} returns: the scalar loss the loop reports (and checks for
 * NaN) and the logits it counts training accuracy from.
 *
 * @param loss the scalar loss of the step
 * @param logits the model's outputs on the batch, shape (batch, classes)
 */
public record StepLoss(NDArray loss, NDArray logits) {}
