/**
 * Training backdoored models ({@link dev.fst.lab.train.BackdoorTrainer}) and keeping them with their
 * metadata for reuse ({@link dev.fst.lab.train.ModelStore}, {@link dev.fst.lab.train.BackdoorRecord}).
 */
package dev.fst.lab.train;
