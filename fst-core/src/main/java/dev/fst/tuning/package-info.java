/**
 * The public API of purification: the {@link dev.fst.tuning.Purifier} interface, its options
 * ({@link dev.fst.tuning.TuningConfig}, built with {@link dev.fst.tuning.TunerBuilder}), its
 * result ({@link dev.fst.tuning.PurificationResult} with its typed {@link
 * dev.fst.tuning.RunConfiguration} and {@link dev.fst.tuning.TuningData}), and the listeners that
 * watch a run ({@link dev.fst.tuning.TuningListener} through a read-only {@link
 * dev.fst.tuning.TuningView}, {@link dev.fst.tuning.DivergenceCheck}).
 *
 * <p>Writing a method: extend {@link dev.fst.tuning.AbstractPurifier} and return a {@link
 * dev.fst.tuning.TuningMethod}, whose hooks state only what the method alone knows; each hook's
 * contract is on that interface. The loss, optimizer and schedule are strategies of the
 * configuration ({@link dev.fst.optim}). Every run returns a result that records what it did; a
 * run that fails throws a {@link dev.fst.tuning.PurificationException} after restoring the model.
 * {@link dev.fst.tuning.ModelTraining} trains a model with the same machinery but no method.
 */
package dev.fst.tuning;
