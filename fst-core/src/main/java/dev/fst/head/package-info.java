/**
 * The split of a classifier into feature extractor and classifier head: finding the head's linear
 * layers ({@link dev.fst.head.HeadSelector}), describing them ({@link dev.fst.head.ClassifierHead},
 * {@link dev.fst.head.HeadLayer}), re-initialising them ({@link dev.fst.head.HeadInitializer}) and
 * holding their weights on a fixed Frobenius norm ({@link dev.fst.head.NormProjection}).
 */
package dev.fst.head;
