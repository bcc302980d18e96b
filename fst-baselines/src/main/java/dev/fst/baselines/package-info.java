/**
 * The comparison tuners of the FST paper, and NFT, each a small {@link dev.fst.tuning.Purifier} on
 * the shared loop of {@link dev.fst.tuning.TuningLoop}: {@link dev.fst.baselines.FineTuner} (FT),
 * {@link dev.fst.baselines.LinearProbe} (LP), {@link dev.fst.baselines.FeatureExtractorTuner}
 * (FE-tuning), {@link dev.fst.baselines.FtInitTuner} (FT-init), {@link
 * dev.fst.baselines.SharpnessAwareTuner} (FT+SAM), {@link dev.fst.baselines.NaturalGradientTuner}
 * (NGF), {@link dev.fst.baselines.AdversarialNeuronPruner} (ANP), {@link
 * dev.fst.baselines.ImplicitBackdoorUnlearner} (I-BAU) and {@link
 * dev.fst.baselines.NeuralMaskFineTuner} (NFT). Each adds only its {@link
 * dev.fst.tuning.TuningMethod} hooks; validation, restore on failure, seeding, progress and the
 * result are the loop's. See {@code docs/baselines.md}.
 */
package dev.fst.baselines;
