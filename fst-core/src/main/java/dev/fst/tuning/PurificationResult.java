package dev.fst.tuning;

import ai.djl.Model;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.fst.head.ClassifierHead;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a purification run did, as a value: the tuned model, the per-epoch history, the head it
 * worked on, and the provenance needed to repeat it: the typed configuration ({@link
 * RunConfiguration}, seed included), the tuning data's identity ({@link TuningData}: count, shape,
 * class histogram, content hash), library and engine versions, device and timings.
 */
public final class PurificationResult {

    private final RunConfiguration configuration;
    private final Model model;
    private final ClassifierHead head;
    private final ImmutableList<EpochRecord> epochs;
    private final TuningData data;
    private final Map<String, String> environment;
    private final Instant startedAt;
    private final Duration wallTime;
    private final ImmutableMap<String, Object> details;
    private final AccuracyCheck accuracyCheck;

    PurificationResult(RunConfiguration configuration, Model model, TuningLoop.Outcome outcome) {
        this(configuration, model, outcome.head(), outcome.history(), outcome.data(), outcome.environment(),
                outcome.startedAt(), outcome.wallTime(), outcome.details(), outcome.check());
    }

    private PurificationResult(
            RunConfiguration configuration,
            Model model,
            ClassifierHead head,
            List<EpochRecord> epochs,
            TuningData data,
            Map<String, String> environment,
            Instant startedAt,
            Duration wallTime,
            Map<String, Object> details,
            AccuracyCheck accuracyCheck) {
        this.configuration = configuration;
        this.model = model;
        this.head = head;
        this.epochs = ImmutableList.copyOf(epochs);
        this.data = data;
        this.environment = ImmutableMap.copyOf(environment);
        this.startedAt = startedAt;
        this.wallTime = wallTime;
        this.details = ImmutableMap.copyOf(details);
        this.accuracyCheck = accuracyCheck;
    }

    /**
     * Returns a copy with more details and the head found again on the model's current block, for
     * a purifier that ran the loop several times and restored the model between runs (FST's
     * automatic alpha): a restored TorchScript model has a new block, so the head of the run kept
     * must refer to its parameters.
     *
     * @param extra details to add after the run's own
     * @param head the head on the model's current block
     * @return the copy
     */
    public PurificationResult withDetails(Map<String, Object> extra, ClassifierHead head) {
        Map<String, Object> merged = new java.util.LinkedHashMap<>(details);
        merged.putAll(extra);
        return new PurificationResult(configuration, model, head, epochs, data, environment, startedAt,
                wallTime, merged, accuracyCheck);
    }

    /**
     * Returns the accuracy guard: the model's accuracy on the held-out share of the tuning images
     * before and after the run, and whether the drop stayed within the budget.
     *
     * @return the check; {@link AccuracyCheck#measured()} is false when nothing was held out
     */
    public AccuracyCheck accuracyCheck() {
        return accuracyCheck;
    }

    /**
     * Returns whether the run kept its held-out accuracy within the budget. A run that returns
     * {@code false} is logged at WARN; its model should not be used without a look at why. It says
     * nothing about a surviving backdoor, which clean data cannot show.
     *
     * @return {@link AccuracyCheck#withinBudget()}
     */
    public boolean withinBudget() {
        return accuracyCheck.withinBudget();
    }

    /**
     * Returns what the method decided during the run beyond the weights, by name: for example the
     * pruning threshold ANP chose from the tuning data, or the range NFT's masks ended in. Empty for
     * methods that decide nothing of that kind (FST, FT, LP, ...).
     *
     * @return an immutable ordered map
     */
    public Map<String, Object> details() {
        return details;
    }

    /**
     * Returns the method's name.
     *
     * @return for example {@code FST}
     */
    public String method() {
        return configuration.method();
    }

    /**
     * Returns the tuned model, the same object that was passed to {@code purify}.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * Returns the head the run re-initialised, penalised or projected.
     *
     * @return the head, referring to the model's live parameters
     */
    public ClassifierHead head() {
        return head;
    }

    /**
     * Returns the names of the head's layers.
     *
     * @return names such as {@code [fc]}
     */
    public List<String> headLayers() {
        return head.names();
    }

    /**
     * Returns every setting of the run, typed: the method's own options and the shared {@link
     * TuningConfig} with its loss, optimizer and schedule. {@link RunConfiguration#asMap()} gives
     * them by name, for reports.
     *
     * @return the configuration
     */
    public RunConfiguration configuration() {
        return configuration;
    }

    /**
     * Returns the seed of the run.
     *
     * @return the seed
     */
    public long seed() {
        return configuration.seed();
    }

    /**
     * Returns which data the run tuned on: count, image shape, class histogram and content hash.
     *
     * @return the data's identity
     */
    public TuningData data() {
        return data;
    }

    /**
     * Returns what every epoch did, in order.
     *
     * @return one record per epoch
     */
    public List<EpochRecord> epochs() {
        return epochs;
    }

    /**
     * Returns the number of tuning images.
     *
     * @return the size of the tuning set
     */
    public int samples() {
        return data.count();
    }

    /**
     * Returns the shape of one tuning image.
     *
     * @return for example {@code (3, 32, 32)}
     */
    public String imageShape() {
        return data.imageShape();
    }

    /**
     * Returns where the run happened: {@code djl}, {@code engine}, {@code
     * engineVersion}, {@code java}, {@code os}, {@code cores}, {@code device} (the keys of the internal
     * environment capture, then the device).
     *
     * @return an immutable ordered map
     */
    public Map<String, String> environment() {
        return environment;
    }

    /**
     * Returns the device the run tuned on.
     *
     * @return for example {@code cpu()} or {@code gpu(0)}
     */
    public String device() {
        return environment.get("device");
    }

    /**
     * Returns when the run started.
     *
     * @return the start instant
     */
    public Instant startedAt() {
        return startedAt;
    }

    /**
     * Returns the run's wall time, from the call to {@code purify} to its return.
     *
     * @return the duration
     */
    public Duration wallTime() {
        return wallTime;
    }

    /**
     * Returns the loss of the last epoch.
     *
     * @return the mean loss of the last epoch
     */
    public double finalLoss() {
        return epochs.get(epochs.size() - 1).loss();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(configuration.method())
                .append(" on ")
                .append(data)
                .append(", head ")
                .append(head)
                .append(", ")
                .append(String.format("%.1f s", wallTime.toMillis() / 1000.0))
                .append('\n')
                .append("  configuration ")
                .append(configuration)
                .append('\n')
                .append("  environment ")
                .append(environment)
                .append('\n')
                .append("  ")
                .append(accuracyCheck);
        if (!details.isEmpty()) {
            sb.append('\n').append("  details ").append(details);
        }
        for (EpochRecord epoch : epochs) {
            sb.append("\n  ").append(epoch);
        }
        return sb.toString();
    }
}
