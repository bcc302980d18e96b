/**
 * Internal plumbing, not API: the one place where the project calls DJL's PyTorch engine
 * internals ({@link dev.fst.internal.EngineAdapter}). It is public only so that the other modules
 * of this project can use it; applications should not, and it may change in any release without
 * notice.
 */
package dev.fst.internal;
