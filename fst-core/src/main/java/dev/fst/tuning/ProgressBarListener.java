package dev.fst.tuning;

import ai.djl.training.util.ProgressBar;

/** Draws one DJL console progress bar per epoch; see {@link TuningListener#progressBar()}. */
final class ProgressBarListener implements TuningListener {

    private final ProgressBar bar = new ProgressBar();
    private String method;
    private int epochs;
    private int batches;

    @Override
    public void onTuningStart(String method, int epochs, int batchesPerEpoch) {
        this.method = method;
        this.epochs = epochs;
        this.batches = batchesPerEpoch;
    }

    @Override
    public void onBatchEnd(int epoch, int batch, double loss) {
        if (batch == 1) {
            bar.reset(method + " " + epoch + "/" + epochs, batches);
            bar.start(0);
        }
        bar.update(batch, String.format("loss %.4f", loss));
    }

    @Override
    public void onEpochEnd(EpochRecord record) {
        bar.end();
        System.out.println(method + " " + record);
    }
}
