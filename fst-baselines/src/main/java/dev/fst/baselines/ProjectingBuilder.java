package dev.fst.baselines;

import dev.fst.tuning.TunerBuilder;
import dev.fst.tuning.TuningConfig;

/**
 * A builder for the simple tuning baselines of the FST reference code (FT, LP, FE-tuning, FT-init),
 * which all share the head-norm projection option: after every step each head weight is rescaled to
 * the Frobenius norm it had before tuning. The FST reference applies that projection in every tuning
 * mode, so it is on by default here too; switch it off for the textbook methods.
 *
 * @param <B> the concrete builder type
 */
public abstract class ProjectingBuilder<B extends ProjectingBuilder<B>> extends TunerBuilder<B> {

    private Boolean projection;

    /**
     * Creates a builder.
     *
     * @param defaults the values of shared options the user does not set
     */
    protected ProjectingBuilder(TuningConfig defaults) {
        super(defaults);
    }

    /**
     * Switches the head-norm projection after every step. Default on, as in the reference code.
     *
     * @param projection {@code false} for the textbook method
     * @return this builder
     * @throws IllegalStateException if it was set before
     */
    public B projection(boolean projection) {
        requireUnset(this.projection, "projection");
        this.projection = projection;
        return self();
    }

    /**
     * Returns the projection setting, the default (on) when unset.
     *
     * @return whether to project
     */
    protected boolean projectionOrDefault() {
        return projection == null || projection;
    }
}
