package dev.fst.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the speed benchmark's smoke mode: both sides, both models, tiny sizes. Needs PyTorch under
 * {@code /usr/bin/python3} (Debian's {@code python3-torch}); CI installs it and sets {@code CI}, so
 * there the test fails rather than skips when it is missing.
 */
class SpeedBenchmarkSmokeTest {

    @Test
    void smokeRun_runsBothSides_andWritesTheReport(@TempDir Path out) throws Exception {
        boolean torch = pythonHasTorch();
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(torch, "PyTorch is not importable by /usr/bin/python3:"
                    + " apt-get install python3-torch to run this test");
        }
        assertTrue(torch, "CI must provide /usr/bin/python3 with PyTorch (apt-get install python3-torch)");
        SpeedReport report = SpeedBenchmark.run(SpeedOptions.parse("--smoke", "--out", out.toString()));
        assertEquals(4, report.runs().size());
        for (String model : List.of("small-cnn", "resnet18")) {
            for (String side : List.of("java", "pytorch")) {
                SideRun run = report.runs().stream()
                        .filter(r -> r.model().equals(model) && r.side().equals(side)).findFirst().orElseThrow();
                assertEquals(24, run.images());
                assertTrue(run.imagesPerSecond() > 0 && run.peakRssMib() > 0, run.toString());
                assertTrue(Double.isFinite(run.finalLoss()), run.toString());
            }
        }
        assertEquals(2, report.summaries().size());
        assertTrue(report.javaMatmul() > 0 && report.pythonMatmul() > 0);
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| small-cnn |") && md.contains("| resnet18 |"), md);
        assertEquals(5, Files.readAllLines(out.resolve("runs.csv")).size());
        assertTrue(Files.size(out.resolve("tuning.bin")) == 24L * 3073);
    }

    private static boolean pythonHasTorch() throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/python3"))) {
            return false;
        }
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
