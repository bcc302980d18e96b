package dev.fst.baselines;

import dev.fst.optim.TuningLoss;
import dev.fst.tuning.TuningConfig;

/**
 * The check of methods whose own step is built on cross-entropy (NGF's curvature of the softmax,
 * the mask gradients of ANP and NFT, I-BAU's unlearning losses): they cannot honour another
 * configured loss, so they refuse one when they are built instead of ignoring it.
 */
final class CrossEntropySteps {

    private CrossEntropySteps() {}

    /**
     * Returns {@code config} if its loss is cross-entropy.
     *
     * @param method the method's name, for the message
     * @param config the shared options
     * @return {@code config}
     * @throws IllegalArgumentException if another loss is configured
     */
    static TuningConfig require(String method, TuningConfig config) {
        if (!(config.loss() instanceof TuningLoss.CrossEntropy)) {
            throw new IllegalArgumentException(method + "'s step is built on cross-entropy and cannot use the"
                    + " loss " + config.loss() + "; leave the loss option unset");
        }
        return config;
    }
}
