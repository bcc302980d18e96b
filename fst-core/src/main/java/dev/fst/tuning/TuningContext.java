package dev.fst.tuning;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.google.common.collect.ImmutableList;
import dev.fst.head.ClassifierHead;
import java.util.List;
import java.util.Random;

/**
 * One tuning run as a {@link TuningMethod} sees it: the model, its head, its trainable parameters,
 * a manager for arrays that live as long as the run, and the run's seeded random source.
 */
public final class TuningContext {

    private final Model model;
    private final ClassifierHead head;
    private final ImmutableList<Parameter> parameters;
    private final NDManager manager;
    private final Random random;
    private final TuningConfig config;
    private int epoch;

    TuningContext(
            Model model,
            ClassifierHead head,
            List<Parameter> parameters,
            NDManager manager,
            Random random,
            TuningConfig config) {
        this.model = model;
        this.head = head;
        this.parameters = ImmutableList.copyOf(parameters);
        this.manager = manager;
        this.random = random;
        this.config = config;
    }

    /**
     * Returns the model being tuned.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * Returns the model's root block.
     *
     * @return the block
     */
    public Block block() {
        return model.getBlock();
    }

    /**
     * Returns the classifier head chosen for this run.
     *
     * @return the head
     */
    public ClassifierHead head() {
        return head;
    }

    /**
     * Returns every parameter the model marks as trainable (BatchNorm running statistics are not
     * among them), in the model's order.
     *
     * @return an immutable list
     */
    public List<Parameter> parameters() {
        return parameters;
    }

    /**
     * Returns a manager for arrays that must outlive a mini-batch (original weights, optimizer
     * state); it is closed when the run ends.
     *
     * @return the run's manager, on the model's device
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Returns the run's seeded random source.
     *
     * @return the random source
     */
    public Random random() {
        return random;
    }

    /**
     * Returns the run's shared options.
     *
     * @return the options
     */
    public TuningConfig config() {
        return config;
    }

    /**
     * Returns the current epoch.
     *
     * @return the 1-based epoch, or 0 before the first one
     */
    public int epoch() {
        return epoch;
    }

    void setEpoch(int epoch) {
        this.epoch = epoch;
    }
}
