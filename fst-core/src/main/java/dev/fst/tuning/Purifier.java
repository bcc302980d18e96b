package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.training.dataset.RandomAccessDataset;
import java.util.Map;

/**
 * A purifier: removes a backdoor by tuning a possibly backdoored classifier on a small clean
 * dataset. Each implementation carries out one method, named by {@link #name()} (the class names of
 * the implementations end in {@code Tuner}; see the glossary in {@code docs/user-guide.md}).
 *
 * <p>The only data a purifier sees is the clean tuning set; test sets and triggers exist for
 * evaluation ({@link dev.fst.eval.Evaluator}) and never reach it. Implementations are immutable and
 * may be shared between threads; runs are serialised, because DJL's PyTorch engine allows one
 * gradient recording per JVM at a time.
 */
public interface Purifier {

    /**
     * Returns the method's short name, as in the FST paper's tables (for example {@code FST}).
     *
     * @return the name
     */
    String name();

    /**
     * Returns every setting of this purifier by name, in a stable order. A run's result holds the
     * same settings typed ({@link PurificationResult#configuration()}).
     *
     * @return an immutable ordered map
     */
    Map<String, Object> configuration();

    /**
     * Checks, without changing the model or reading any data, that this purifier can work on it:
     * that its head is found and that the model has what the method needs (for example BatchNorm
     * layers for ANP and NFT). {@link #purify} runs the same checks first, so calling this is only
     * useful to refuse a model before paying for loading the data. Default: accepts every model.
     *
     * @param model the model that would be purified
     * @throws IllegalArgumentException naming what the model lacks
     */
    default void validate(Model model) {}

    /**
     * Tunes {@code model} in place on {@code data} and reports what was done.
     *
     * <p>Either the run succeeds, or the model is left exactly as it was and an exception is
     * thrown: invalid input is refused with an {@link IllegalArgumentException} before anything
     * changes; a failure during tuning (a non-finite loss, an engine error, a listener's exception,
     * an interrupt of the calling thread) restores the original weights and throws a {@link
     * PurificationException} naming the epoch and batch.
     *
     * @param model a DJL model: native DJL blocks, initialised, or a TorchScript model loaded with
     *     {@code Map.of("trainParam", "true")}
     * @param data clean labelled images, each of shape (C, H, W) with an integer class label
     * @return the result, holding the tuned model
     * @throws IllegalArgumentException if the model or data cannot be tuned; nothing changed
     * @throws PurificationException if tuning failed; the model was restored
     */
    PurificationResult purify(Model model, RandomAccessDataset data);
}
