package dev.fst;

import dev.fst.optim.LearningRateSchedule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.data.Augmentation;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureShiftTunerBuilderTest {

    @Test
    void paperBuilder_withoutOptions_hasThePaperDefaults() {
        FeatureShiftTuner tuner = FeatureShiftTuner.paperBuilder().build();
        Map<String, Object> c = tuner.configuration();
        assertEquals(0.2, c.get("alpha"));
        assertEquals("paper", c.get("penaltyScale"));
        assertEquals(0, c.get("warmStartEpochs"));
        assertEquals(0.0, c.get("heldOutFraction"));
        assertEquals(10, c.get("epochs"));
        assertEquals(0.01, c.get("learningRate"));
        assertEquals(0.9, c.get("momentum"));
        assertEquals(0.0, c.get("weightDecay"));
        assertEquals(128, c.get("batchSize"));
        assertEquals(true, c.get("projection"));
        assertEquals("auto", c.get("head"));
        assertEquals(0L, c.get("seed"));
        assertEquals("crop(padding=4, flip=true)", c.get("augmentation"));
        assertEquals(true, c.get("channelsLast"));
        assertEquals("cross-entropy", c.get("loss"));
        assertEquals("SGD (PyTorch semantics)", c.get("optimizer"));
        assertEquals("cosine per epoch", c.get("schedule"));
        assertEquals(null, c.get("allocatorTuning"), "the option is gone");
        assertEquals("FST", tuner.name());
    }

    @Test
    void build_oneLineApi_setsWhatItSays() {
        FeatureShiftTuner tuner = FeatureShiftTuner.builder().alpha(0.1).epochs(3).seed(7).build();
        assertEquals(0.1, tuner.alpha());
        assertEquals(3, tuner.config().epochs());
        assertEquals(7L, tuner.config().seed());
        assertTrue(tuner.toString().contains("alpha=0.1"), tuner.toString());
        assertTrue(tuner.toString().contains("epochs=3"), tuner.toString());
    }

    @Test
    void options_outOfRange_areRefusedWithPreciseMessages() {
        assertMessage("alpha must be a finite number >= 0 but was -1.0", () -> FeatureShiftTuner.builder().alpha(-1));
        assertMessage("alpha must be a finite number >= 0 but was NaN", () -> FeatureShiftTuner.builder().alpha(Double.NaN));
        assertMessage("epochs must be >= 1 but was 0", () -> FeatureShiftTuner.builder().epochs(0));
        assertMessage("learningRate must be a finite number > 0 but was 0.0", () -> FeatureShiftTuner.builder().learningRate(0));
        assertMessage("momentum must be in [0, 1) but was 1.0", () -> FeatureShiftTuner.builder().momentum(1));
        assertMessage("weightDecay must be a finite number >= 0 but was -0.1", () -> FeatureShiftTuner.builder().weightDecay(-0.1));
        assertMessage("batchSize must be >= 1 but was 0", () -> FeatureShiftTuner.builder().batchSize(0));
        assertMessage("padding must be >= 0 but was -1", () -> Augmentation.crop(-1, true));
        assertThrows(NullPointerException.class, () -> FeatureShiftTuner.builder().head(null));
        assertThrows(NullPointerException.class, () -> FeatureShiftTuner.builder().listener(null));
    }

    @Test
    void options_setTwice_areRefused() {
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> FeatureShiftTuner.builder().alpha(0.2).alpha(0.3));
        assertEquals("alpha was already set to 0.2", e.getMessage());
        assertThrows(IllegalStateException.class, () -> FeatureShiftTuner.builder().epochs(2).epochs(3));
        assertThrows(IllegalStateException.class, () -> FeatureShiftTuner.builder().projection(true).projection(false));
        IllegalStateException layout = assertThrows(
                IllegalStateException.class, () -> FeatureShiftTuner.builder().channelsLast(false).channelsLast(true));
        assertEquals("channelsLast was already set to false", layout.getMessage());
        assertThrows(IllegalStateException.class,
                () -> FeatureShiftTuner.builder().schedule(LearningRateSchedule.constant())
                        .schedule(LearningRateSchedule.cosine()));
    }

    @Test
    void configuration_isImmutable() {
        FeatureShiftTuner tuner = FeatureShiftTuner.builder().build();
        assertThrows(UnsupportedOperationException.class, () -> tuner.configuration().put("alpha", 5));
    }

    private static void assertMessage(String message, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }
}
