package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command in its own JVM, stopped by a signal in the middle of tuning: it exits with the
 * signal's code (128 + number) and leaves neither output, no temporary file and no lock behind.
 */
class PurifySignalTest {

    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void sigintAndSigtermDuringTuning_exitWithTheSignalsCode_andLeaveNothing() throws Exception {
        assertEquals(130, stopDuringTuning("INT"));
        assertEquals(List.of(), listing(), "nothing is left after SIGINT");
        assertEquals(143, stopDuringTuning("TERM"));
        assertEquals(List.of(), listing(), "nothing is left after SIGTERM");
    }

    private int stopDuringTuning(String signal) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dai.djl.offline=true");
        command.add("-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR", ".djl-cache"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PurifyCommand.class.getName());
        command.addAll(List.of("--model", FIXTURES.resolve("backdoored_resnet.pt").toString(), "--data",
                "folder:" + FIXTURES.resolve("clean"), "--out", dir.resolve("p.pt").toString(), "--epochs", "200",
                "--method", "ft"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder seen = new StringBuilder();
            int c;
            while ((c = out.read()) != -1) {
                seen.append((char) c);
                if (seen.indexOf("FT 2/200") >= 0) {
                    break;
                }
            }
            assertTrue(seen.indexOf("FT 2/200") >= 0, "tuning started: " + seen);
            int kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
            assertEquals(0, kill);
            while (out.read() != -1) {
                // drain until the child exits
            }
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child stopped");
        return process.exitValue();
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
