/**
 * The {@code purify} command: a TorchScript classifier and a folder of clean images in, a purified
 * TorchScript file and a JSON report out ({@link dev.fst.cli.PurifyCommand}).
 */
package dev.fst.cli;
