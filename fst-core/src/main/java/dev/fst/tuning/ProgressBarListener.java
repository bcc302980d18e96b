package dev.fst.tuning;

import ai.djl.training.util.ProgressBar;

/** Draws one DJL console progress bar per epoch; see {@link TuningListener#progressBar()}. */
final class ProgressBarListener implements TuningListener {

    private final ProgressBar bar = new ProgressBar();

    @Override
    public void onBatchEnd(TuningView run) {
        if (run.batch() == 1) {
            bar.reset(run.method() + " " + run.epoch() + "/" + run.epochs(), run.batchesPerEpoch());
            bar.start(0);
        }
        bar.update(run.batch(), String.format("loss %.4f", run.batchLoss()));
    }

    @Override
    public void onEpochEnd(TuningView run, EpochRecord record) {
        bar.end();
        System.out.println(run.method() + " " + record);
    }
}
