/**
 * Comparison tuners of the FST paper, each a small {@link dev.fst.tuning.Purifier} on the shared
 * loop of {@link dev.fst.tuning.TuningLoop}. So far: vanilla fine-tuning ({@link
 * dev.fst.baselines.FineTuner}) and natural gradient fine-tuning ({@link
 * dev.fst.baselines.NaturalGradientTuner}).
 */
package dev.fst.baselines;
