package dev.fst.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The peak resident memory of this process, as Linux reports it. */
public final class PeakMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakMemory() {}

    /**
     * Returns the process's peak resident set size (Linux {@code VmHWM}: JVM heap, native tensors
     * and libraries together) in MiB.
     *
     * @return the peak in MiB, or {@code NaN} where {@code /proc/self/status} cannot be read
     */
    public static double peakResidentMib() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
