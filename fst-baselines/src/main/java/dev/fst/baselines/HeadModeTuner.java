package dev.fst.baselines;

import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.TuningConfig;
import dev.fst.tuning.TuningMethod;
import java.util.Map;

/**
 * What FT, LP, FE-tuning and FT-init share: one {@link HeadMode} per run, fixed by which
 * parameters train, whether the head is re-initialised, and the projection option.
 */
abstract class HeadModeTuner extends AbstractPurifier {

    private final HeadMode.Trained trained;
    private final boolean reinitialiseHead;
    private final boolean projection;

    HeadModeTuner(String name, HeadMode.Trained trained, boolean reinitialiseHead, boolean projection,
            TuningConfig config) {
        super(name, Map.of("projection", projection), config);
        this.trained = trained;
        this.reinitialiseHead = reinitialiseHead;
        this.projection = projection;
    }

    @Override
    protected final TuningMethod newMethod() {
        return new HeadMode(trained, reinitialiseHead, projection);
    }
}
