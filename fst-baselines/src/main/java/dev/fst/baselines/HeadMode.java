package dev.fst.baselines;

import ai.djl.nn.Parameter;
import dev.fst.head.HeadInitializer;
import dev.fst.head.HeadLayer;
import dev.fst.head.NormProjection;
import dev.fst.tuning.TuningContext;
import dev.fst.tuning.TuningMethod;
import java.util.List;

/**
 * The four simple tuning modes of the FST reference, as one {@link TuningMethod}: which parameters
 * are trained, whether the head is re-initialised first, and whether head weights are projected
 * back to their original norms after every step.
 */
final class HeadMode implements TuningMethod {

    /** Which parameters a mode trains. */
    enum Trained {
        ALL,
        HEAD_ONLY,
        ALL_BUT_HEAD
    }

    private final Trained trained;
    private final boolean reinitialiseHead;
    private final boolean projection;
    private NormProjection norms;

    HeadMode(Trained trained, boolean reinitialiseHead, boolean projection) {
        this.trained = trained;
        this.reinitialiseHead = reinitialiseHead;
        this.projection = projection;
    }

    @Override
    public void prepare(TuningContext context) {
        norms = NormProjection.capture(context.head());
        if (reinitialiseHead) {
            for (HeadLayer layer : context.head().layers()) {
                HeadInitializer.uniform().initialize(layer, context.random());
            }
        }
    }

    @Override
    public List<Parameter> trainableParameters(TuningContext context) {
        return switch (trained) {
            case ALL -> context.parameters();
            case HEAD_ONLY -> context.parameters().stream().filter(p -> context.head().contains(p)).toList();
            case ALL_BUT_HEAD ->
                    context.parameters().stream().filter(p -> !context.head().contains(p)).toList();
        };
    }

    @Override
    public void afterStep(TuningContext context) {
        if (projection) {
            norms.project();
        }
    }
}
