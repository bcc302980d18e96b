/**
 * Reading and writing models: TorchScript files in and out ({@link dev.fst.io.TorchScriptModels})
 * and DJL-native parameters with metadata ({@link dev.fst.io.NativeModels}). Every write is atomic:
 * a file appears complete or not at all.
 */
package dev.fst.io;
