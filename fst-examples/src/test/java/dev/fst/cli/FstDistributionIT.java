package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the built distribution ({@code target/fst/bin/fst}, made by {@code mvn package}) as a user
 * would: a subprocess, offline, on the committed TorchScript fixture.
 */
class FstDistributionIT {
    private static final Path FST = Path.of("target", "fst", "bin", "fst").toAbsolutePath();
    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();
    private static final Path MODEL = FIXTURES.resolve("backdoored_resnet.pt");
    private static final String DATA = "folder:" + FIXTURES.resolve("clean");

    record Result(int code, String out, String err) {}

    static Result fst(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(FST.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("FST_JAVA_OPTS", "-Xmx1g");
        String cache = System.getProperty("DJL_CACHE_DIR");
        if (cache != null) {
            builder.environment().put("DJL_CACHE_DIR", cache);
        }
        Path out = dir.resolve(".stdout");
        Path err = dir.resolve(".stderr");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "fst " + String.join(" ", args) + " finished");
        Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    @Test
    void version_namesTheLibraryDjlAndLibtorch(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(FST), FST + " is built by mvn package");
        Result run = fst(dir, "--version");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("fst 0.1.0"), run.out());
        assertTrue(run.out().contains("DJL 0.35.1"), run.out());
        assertTrue(run.out().contains("libtorch 2.7.1"), run.out());
        Result none = fst(dir);
        assertEquals(2, none.code());
        assertTrue(none.err().contains("missing command: use purify, lab, bench, figures or speed"), none.err());
    }

    @Test
    void purify_onTheFixture_writesModelReportAndChart(@TempDir Path dir) throws Exception {
        Result run = fst(dir, "purify", "--model", MODEL.toString(), "--data", DATA, "--out", "p.pt",
                "--epochs", "2", "--budget", "100", "--trigger", "badnet", "--target", "0");
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.size(dir.resolve("p.pt")) > 0);
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
        for (String key : List.of("input", "output", "method", "spec", "configuration", "head", "preprocessing",
                "tuningImages", "evaluationImages", "trigger", "before", "after", "accuracyGuard", "alphaSearch",
                "environment", "outcome", "perEpoch")) {
            assertTrue(report.has(key), key + " in " + report.keySet());
        }
        assertEquals("FST", report.get("method").getAsString());
        assertTrue(report.getAsJsonObject("before").has("attackSuccessRateValue"), report.toString());
        BufferedImage chart = ImageIO.read(dir.resolve("p-alpha.png").toFile());
        assertEquals(720, chart.getWidth(), "the alpha chart decodes");
        assertEquals(720, ImageIO.read(dir.resolve("p-epochs.png").toFile()).getWidth(), "the epoch chart decodes");
        assertEquals(3, report.getAsJsonArray("perEpoch").size(), report.get("perEpoch").toString());
        assertTrue(run.out().contains("| after FST |"), run.out());
    }

    @Test
    void badInput_throughTheLauncher_isExitCode2_withOneLine(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.png");
        ImageIO.write(new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB), "png", big.toFile());
        Path onlyTarget = dir.resolve("poisoned").resolve("circle");
        Files.createDirectories(onlyTarget);
        try (var files = Files.list(FIXTURES.resolve("clean").resolve("circle"))) {
            for (Path f : files.limit(3).toList()) {
                Files.copy(f, onlyTarget.resolve(f.getFileName()));
            }
        }
        String[][] cases = {
            {"--method", "fst:alhpa=0.1"},
            {"--method", "ft:epochs=ten"},
            {"--poisoned-data", "folder:" + dir.resolve("poisoned"), "--target", "0"},
            {"--trigger-image", big.toString(), "--trigger-at", "0,0"},
            {"--data", "folder:" + dir.resolve("missing")},
        };
        String[] expected = {"unknown option 'alhpa' of fst", "option epochs of ft needs an integer but was 'ten'",
            "holds only images of the target class 0 (circle)", "does not fit inside the 32x32 images",
            "does not exist"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("purify", "--model", MODEL.toString(), "--out", "x.pt",
                    "--epochs", "1"));
            if (!cases[i][0].equals("--data")) {
                args.addAll(List.of("--data", DATA));
            }
            args.addAll(List.of(cases[i]));
            Result run = fst(dir, args.toArray(String[]::new));
            assertEquals(2, run.code(), String.join(" ", cases[i]) + ": " + run.err());
            List<String> lines = run.err().lines().toList();
            assertEquals(1, lines.size(), "one line: " + run.err());
            assertTrue(lines.get(0).contains(expected[i]), lines.get(0));
            assertFalse(Files.exists(dir.resolve("x.pt")));
            assertFalse(Files.exists(dir.resolve("x.json")));
        }
    }
}
