/**
 * Optimisation with PyTorch's semantics: SGD with momentum whose learning rate is applied after the
 * velocity ({@link dev.fst.optim.TorchSgd}) and the per-epoch cosine learning-rate schedule
 * ({@link dev.fst.optim.CosineSchedule}).
 */
package dev.fst.optim;
