/**
 * Feature Shift Tuning (FST): backdoor purification of image classifiers by tuning on a small clean
 * set, on DJL's PyTorch engine.
 *
 * <p>The entry point is {@link dev.fst.FeatureShiftTuner}:
 *
 * <pre>{@code
 * PurificationResult result =
 *     FeatureShiftTuner.builder().alpha(0.2).epochs(10).build().purify(model, data);
 * }</pre>
 *
 * <p>Related packages: {@code dev.fst.tuning} (the shared loop, results, listeners), {@code
 * dev.fst.head} (finding and handling the classifier head), {@code dev.fst.optim} (PyTorch-exact
 * SGD and cosine schedule), {@code dev.fst.data} (tuning images and augmentation) and {@code
 * dev.fst.eval} (clean accuracy and attack success rate).
 */
package dev.fst;
