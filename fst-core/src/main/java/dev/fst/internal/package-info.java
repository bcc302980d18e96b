/**
 * Internal plumbing, not API: the one adapter for DJL's PyTorch engine internals ({@link
 * dev.fst.internal.EngineAdapter}), the model snapshot that makes a failed run leave the model as
 * it was ({@link dev.fst.internal.ModelSnapshot}), the forward pass that frees each layer's output
 * early ({@link dev.fst.internal.ReleasingForward}), the in-memory tuning images ({@link
 * dev.fst.internal.ImageSet}) and their batch staging ({@link dev.fst.internal.BatchStaging}). It
 * is public only so that the other packages and modules of this project can use it; applications
 * should not, and it may change in any release without notice.
 */
package dev.fst.internal;
