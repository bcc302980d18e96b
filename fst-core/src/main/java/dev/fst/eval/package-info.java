/**
 * Evaluation of a classifier before and after purification: clean accuracy and attack success rate,
 * both computed in inference mode (BatchNorm uses its running statistics) in batches.
 */
package dev.fst.eval;
