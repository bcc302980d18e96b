package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.common.collect.ImmutableMap;
import java.util.Map;

/**
 * A purifier that runs the shared tuning loop: subclasses give their name, their own options and a
 * fresh {@link TuningMethod} per run; this class records the full configuration and implements
 * {@link #purify}. Subclasses must be immutable.
 *
 * <p>Writing a method: the contract of each hook is on {@link TuningMethod}; the loss, optimizer
 * and schedule a method needs go into the {@link TuningConfig} its builder starts from.
 */
public abstract class AbstractPurifier implements Purifier {

    private final String name;
    private final TuningConfig config;
    private final ImmutableMap<String, Object> options;
    private final ImmutableMap<String, Object> configuration;

    /**
     * Creates the purifier.
     *
     * @param name the method's name, as in the FST paper's tables
     * @param options the method's own options by name, in display order
     * @param config the shared options
     */
    protected AbstractPurifier(String name, Map<String, Object> options, TuningConfig config) {
        this.name = name;
        this.config = config;
        this.options = ImmutableMap.copyOf(options);
        this.configuration = ImmutableMap.copyOf(new RunConfiguration(name, options, config).asMap());
    }

    /**
     * Returns what this method adds to the loop, new for every run.
     *
     * @return the method's hooks
     */
    protected abstract TuningMethod newMethod();

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Map<String, Object> configuration() {
        return configuration;
    }

    /**
     * Returns the shared options.
     *
     * @return the options
     */
    public final TuningConfig config() {
        return config;
    }

    @Override
    public void validate(Model model) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        ai.djl.nn.Block block = model.getBlock();
        if (block == null) {
            throw new IllegalArgumentException("the model has no block");
        }
        newMethod().validate(block, config.head().select(block));
    }

    @Override
    public PurificationResult purify(Model model, RandomAccessDataset data) {
        return run(model, data, options, config, newMethod());
    }

    /**
     * Runs the loop once with the given options, shared options and hooks, for a purifier that
     * runs it several times with different settings (FST's automatic alpha).
     *
     * @param model the model to tune in place
     * @param data the clean tuning images
     * @param runOptions the method's options as this run uses them, recorded in the result
     * @param runConfig the shared options of this run
     * @param method the hooks, new for this run
     * @return the result
     * @throws IllegalArgumentException if the model or data cannot be tuned; nothing changed
     * @throws PurificationException if tuning failed; the model was restored
     */
    protected final PurificationResult run(Model model, RandomAccessDataset data,
            Map<String, Object> runOptions, TuningConfig runConfig, TuningMethod method) {
        return TuningLoop.purify(new RunConfiguration(name, runOptions, runConfig), model, data, method);
    }

    /**
     * Returns the method's own options, as given to the constructor.
     *
     * @return an immutable ordered map
     */
    protected final Map<String, Object> options() {
        return options;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + configuration;
    }
}
