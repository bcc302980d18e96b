/**
 * Comparison tuners of the FST paper, each a small {@link dev.fst.tuning.Purifier} on the shared
 * loop of {@link dev.fst.tuning.TuningLoop}. So far: vanilla fine-tuning ({@link
 * dev.fst.baselines.FineTuner}) and I-BAU ({@link dev.fst.baselines.ImplicitBackdoorUnlearner},
 * with its outer optimizer {@link dev.fst.baselines.AmsgradAdam}).
 */
package dev.fst.baselines;
