/**
 * Comparison tuners of the FST paper, each a small {@link dev.fst.tuning.Purifier} on the shared
 * loop of {@link dev.fst.tuning.TuningLoop}: vanilla fine-tuning ({@link
 * dev.fst.baselines.FineTuner}) and the two BatchNorm-mask methods, Adversarial Neuron Pruning
 * ({@link dev.fst.baselines.AdversarialNeuronPruner}) and Neural mask Fine-Tuning ({@link
 * dev.fst.baselines.NeuralMaskFineTuner}), which report their learned masks as {@link
 * dev.fst.baselines.ChannelMasks}.
 */
package dev.fst.baselines;
