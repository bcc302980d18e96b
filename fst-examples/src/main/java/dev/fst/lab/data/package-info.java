/**
 * The lab's images: the synthetic CIFAR-like dataset ({@link dev.fst.lab.data.SyntheticCifar}),
 * loaders for CIFAR-10 binary, GTSRB and image folders, the 8-bit image container the attacks work
 * on ({@link dev.fst.lab.data.LabeledImages}), the held-out tuning split and a sample-grid writer.
 */
package dev.fst.lab.data;
