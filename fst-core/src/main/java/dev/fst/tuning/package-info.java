/**
 * The tuning loop shared by every purification method, and the values around it.
 *
 * <p>A method is a {@link dev.fst.tuning.Purifier}; most are built from the shared options of
 * {@link dev.fst.tuning.TunerBuilder} and run the one loop in {@link dev.fst.tuning.TuningLoop},
 * stating only what differs through a {@link dev.fst.tuning.TuningMethod}: how the head starts,
 * which parameters train, extra loss terms, and what happens after each optimizer step. Every run
 * returns a {@link dev.fst.tuning.PurificationResult} that records what it did; a run that fails
 * throws a {@link dev.fst.tuning.PurificationException} after restoring the model.
 */
package dev.fst.tuning;
