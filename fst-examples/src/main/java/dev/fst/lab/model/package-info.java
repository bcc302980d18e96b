/**
 * The lab's classifiers as DJL blocks shaped {@code Sequential[features, head]}: CIFAR ResNet-18,
 * PreAct-ResNet-18, VGG19-BN and a small CNN ({@link dev.fst.lab.model.Architecture}).
 */
package dev.fst.lab.model;
