package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.training.dataset.RandomAccessDataset;
import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A purifier that runs the shared {@link TuningLoop}: subclasses give their name, their own options
 * and a fresh {@link TuningMethod} per run; this class records the full configuration ({@code method},
 * the method's own options, then the shared options of {@link TuningConfig}; a method option named
 * like a shared one, such as {@code schedule}, replaces it) and implements {@link
 * #purify}. Subclasses must be immutable.
 */
public abstract class AbstractPurifier implements Purifier {

    private final String name;
    private final TuningConfig config;
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
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("method", name);
        map.putAll(options);
        config.toMap().forEach(map::putIfAbsent);
        this.configuration = ImmutableMap.copyOf(map);
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
        return TuningLoop.run(name, configuration, model, data, config, newMethod());
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + configuration;
    }
}
