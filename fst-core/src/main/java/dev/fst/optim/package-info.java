/**
 * The strategies of a tuning run and their implementations: the loss ({@link
 * dev.fst.optim.TuningLoss}, default cross-entropy), the update rule ({@link
 * dev.fst.optim.TuningOptimizer}, default {@link dev.fst.optim.TorchSgd}, SGD with PyTorch's
 * momentum semantics) and the learning-rate schedule ({@link dev.fst.optim.LearningRateSchedule},
 * default per-epoch cosine annealing). A {@link dev.fst.tuning.TuningConfig} holds one of each.
 */
package dev.fst.optim;
