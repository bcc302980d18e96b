package dev.fst.perf;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs one child process of the comparison and returns the JSON line it printed last. */
final class ChildProcess {

    private ChildProcess() {}

    /**
     * Runs {@code command}, sending its standard error to {@code log}.
     *
     * @param command the command and its arguments
     * @param log where the child's standard error (and standard output) is kept
     * @param timeout how long to wait before killing it
     * @return the last line of standard output that starts with <code>{</code>
     * @throws IOException if the process cannot start
     * @throws IllegalStateException if it fails, times out or prints no JSON line; the message names
     *     the log file and quotes its last lines
     */
    static String run(List<String> command, Path log, Duration timeout) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        Process process = builder.start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // the process ended; what was read is kept
            }
        }, "child-stdout");
        reader.start();
        boolean finished;
        try {
            finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            reader.join();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + command.get(0), e);
        }
        List<String> out;
        synchronized (lines) {
            out = List.copyOf(lines);
        }
        Files.write(log, out, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        if (!finished) {
            throw new IllegalStateException("the child run timed out after " + timeout.toSeconds() + " s: "
                    + String.join(" ", command) + "; its output is in " + log + tail(log));
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("the child run failed with exit code " + process.exitValue() + ": "
                    + String.join(" ", command) + "; its output is in " + log + tail(log));
        }
        for (int i = out.size() - 1; i >= 0; i--) {
            if (out.get(i).startsWith("{")) {
                return out.get(i);
            }
        }
        throw new IllegalStateException("the child run printed no JSON result line: " + String.join(" ", command)
                + "; its output is in " + log + tail(log));
    }

    private static String tail(Path log) throws IOException {
        List<String> all = List.of(new String(Files.readAllBytes(log), StandardCharsets.UTF_8).split("\n"));
        return "\n  " + String.join("\n  ", all.subList(Math.max(0, all.size() - 8), all.size()));
    }
}
