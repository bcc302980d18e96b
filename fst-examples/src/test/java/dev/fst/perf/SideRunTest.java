package dev.fst.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SideRunTest {

    private static final String PYTHON = "{\"side\": \"pytorch\", \"model\": \"small-cnn\", \"images\": 2500, \"epochs\": 2,"
            + " \"seconds\": 4.5, \"imagesPerSecond\": 1111.1, \"peakRssMb\": 450.5, \"epochLoss\": [2.1, 1.5],"
            + " \"epochAccuracy\": [0.1, 0.2], \"threads\": 2, \"runtime\": \"torch 1.13.0a0, 2 threads\"}";
    private static final String JAVA = "{\"side\": \"java\", \"model\": \"small-cnn\", \"images\": 2500, \"epochs\": 2,"
            + " \"seconds\": 5.0, \"imagesPerSecond\": 1000.0, \"peakRssMb\": 600.0, \"epochLoss\": [1.9, 0.9],"
            + " \"epochAccuracy\": [0.1, 0.1], \"runtime\": \"DJL 0.35.1\"}";

    @Test
    void parse_readsBothSidesLines() {
        SideRun python = SideRun.parse(PYTHON);
        assertEquals("pytorch", python.side());
        assertEquals(2500, python.images());
        assertEquals(1111.1, python.imagesPerSecond());
        assertEquals(450.5, python.peakRssMib());
        assertEquals(1.5, python.finalLoss());
        assertEquals("torch 1.13.0a0, 2 threads", python.runtime());
        SideRun java = SideRun.parse(JAVA);
        assertEquals(0.9, java.finalLoss());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SideRun.parse("{\"side\": \"java\"}"));
        assertTrue(e.getMessage().startsWith("the run's report has no \"epochLoss\" field"), e.getMessage());
    }

    @Test
    void report_takesMediansAndLargestPeaks() {
        SpeedOptions options = SpeedOptions.parse("--models", "small-cnn", "--repeats", "3");
        List<SideRun> runs = List.of(
                new SideRun("java", "small-cnn", 100, 1, 1, 900, 500, 1, "j"),
                new SideRun("pytorch", "small-cnn", 100, 1, 1, 1000, 400, 1, "p"),
                new SideRun("pytorch", "small-cnn", 100, 1, 1, 800, 420, 1, "p"),
                new SideRun("java", "small-cnn", 100, 1, 1, 1200, 520, 1, "j"),
                new SideRun("java", "small-cnn", 100, 1, 1, 1000, 510, 1, "j"),
                new SideRun("pytorch", "small-cnn", 100, 1, 1, 700, 410, 1, "p"));
        SpeedReport report = new SpeedReport(options, List.of("cpu"), Map.of("small-cnn", 76_000_000L), 1.52e11,
                5e9, runs);
        SpeedReport.Summary s = report.summaries().get(0);
        assertEquals(1000, s.javaImagesPerSecond());
        assertEquals(800, s.pythonImagesPerSecond());
        assertEquals(1.25, s.speedRatio(), 1e-12);
        assertEquals(520 / 420.0, s.memoryRatio(), 1e-12);
        assertEquals(2000, s.floorImagesPerSecond(), 1e-9);
        String md = report.toMarkdown();
        assertTrue(md.contains("| small-cnn | 1000.0 | 800.0 | **1.25** | 2000.0 | 50 % | 40 % | 520 | 420 | 1.24 |"), md);
        assertEquals(7, report.toCsv().split("\n").length);
    }
}
