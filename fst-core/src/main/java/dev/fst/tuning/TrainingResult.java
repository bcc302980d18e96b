package dev.fst.tuning;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a {@link ModelTraining} run did, as a value.
 *
 * @param config the options it ran with
 * @param epochs what every epoch did, in order
 * @param data the training data's identity
 * @param environment library and engine versions and the device, as in {@link
 *     PurificationResult#environment()}
 * @param startedAt when the run started
 * @param wallTime how long it took
 */
public record TrainingResult(
        TuningConfig config,
        List<EpochRecord> epochs,
        TuningData data,
        Map<String, String> environment,
        Instant startedAt,
        Duration wallTime) {

    /** Copies the lists and maps. */
    public TrainingResult {
        epochs = ImmutableList.copyOf(epochs);
        environment = ImmutableMap.copyOf(environment);
    }
}
