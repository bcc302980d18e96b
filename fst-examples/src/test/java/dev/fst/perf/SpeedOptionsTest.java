package dev.fst.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpeedOptionsTest {

    @Test
    void defaults_andSmokeSizes() {
        SpeedOptions d = SpeedOptions.parse();
        assertEquals(List.of("small-cnn", "resnet18"), d.models());
        assertEquals(2500, d.images());
        assertEquals(2, d.epochs());
        assertEquals(2, d.repeats());
        assertEquals(128, d.batchSize());
        assertEquals(Runtime.getRuntime().availableProcessors(), d.threads());
        assertEquals("/usr/bin/python3", d.python());
        assertEquals(Path.of("out", "speed"), d.out());
        SpeedOptions smoke = SpeedOptions.parse("--smoke", "--models", "resnet18", "--java-opts", "-Xmx1g -Xss1m");
        assertEquals(24, smoke.images());
        assertEquals(1, smoke.epochs());
        assertEquals(1, smoke.repeats());
        assertEquals(List.of("resnet18"), smoke.models());
        assertEquals(List.of("-Xmx1g", "-Xss1m"), smoke.javaOptions());
        assertEquals(List.of("--channels-last", "false"),
                SpeedOptions.parse("--java-args", " --channels-last  false ").javaArguments());
        assertEquals(100, SpeedOptions.parse("--smoke", "--images", "100").images());
    }

    @Test
    void badOptions_areRefusedWithTheReason() {
        assertMessage("Unknown options: '--model'", () -> SpeedOptions.parse("--model", "resnet18"));
        assertMessage("--models takes small-cnn and resnet18", () -> SpeedOptions.parse("--models", "vgg19-bn"));
        assertMessage("--models lists resnet18 twice", () -> SpeedOptions.parse("--models", "resnet18,resnet18"));
        assertMessage("--epochs must be >= 1 but was 0", () -> SpeedOptions.parse("--epochs", "0"));
        assertMessage("Invalid value for option '--images': 'many' is not an int", () -> SpeedOptions.parse("--images", "many"));
        assertMessage("--device must be cpu or gpu", () -> SpeedOptions.parse("--device", "tpu"));
        assertMessage("Missing required parameter for option '--out'", () -> SpeedOptions.parse("--out"));
        assertEquals(0, SpeedOptions.parse("--workers", "0").workers());
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }
}
