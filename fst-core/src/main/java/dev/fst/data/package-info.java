/**
 * The training-time augmentation applied to each mini-batch of tuning images ({@link
 * dev.fst.data.Augmentation}). The tuning images themselves are any DJL {@code
 * RandomAccessDataset} of (C, H, W) images with integer labels.
 */
package dev.fst.data;
