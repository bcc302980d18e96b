/**
 * Tuning data as the tuners see it: a DJL dataset of clean labelled images read once into memory
 * ({@link dev.fst.data.ImageSet}), and the training-time augmentation applied per batch
 * ({@link dev.fst.data.Augmentation}).
 */
package dev.fst.data;
