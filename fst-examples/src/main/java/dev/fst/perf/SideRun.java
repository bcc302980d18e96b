package dev.fst.perf;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one child run of either side reported: the one-line JSON object that {@link JavaPurifyRun}
 * and {@code fst_reference.py} print last.
 *
 * @param side {@code java} or {@code pytorch}
 * @param model the architecture id
 * @param images the number of tuning images
 * @param epochs the number of epochs
 * @param seconds the wall time of the whole purification, data pipeline and bookkeeping included
 *     (process start, engine load and reading the file excluded)
 * @param imagesPerSecond {@code images * epochs / seconds}
 * @param peakRssMib the child process's peak resident memory in MiB
 * @param finalLoss the mean loss of the last epoch
 * @param runtime the library versions the child reported, for the report
 */
public record SideRun(
        String side,
        String model,
        int images,
        int epochs,
        double seconds,
        double imagesPerSecond,
        double peakRssMib,
        double finalLoss,
        String runtime) {

    /**
     * Parses the last JSON line a child printed.
     *
     * @param json one JSON object on one line
     * @return the run
     * @throws IllegalArgumentException naming the missing field if the object lacks one
     */
    public static SideRun parse(String json) {
        String epochLoss = raw(json, "epochLoss");
        String[] losses = epochLoss.replaceAll("[\\[\\]\\s]", "").split(",");
        return new SideRun(
                string(json, "side"),
                string(json, "model"),
                (int) number(json, "images"),
                (int) number(json, "epochs"),
                number(json, "seconds"),
                number(json, "imagesPerSecond"),
                number(json, "peakRssMb"),
                Double.parseDouble(losses[losses.length - 1]),
                string(json, "runtime"));
    }

    private static String raw(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\[[^\\]]*\\]|\"[^\"]*\"|[-+0-9.eE]+|NaN)")
                .matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("the run's report has no \"" + key + "\" field: " + json);
        }
        return m.group(1);
    }

    private static String string(String json, String key) {
        String value = raw(json, key);
        return value.startsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }

    /**
     * Reads one numeric field of a child's JSON line.
     *
     * @param json one JSON object on one line
     * @param key the field
     * @return its value
     * @throws IllegalArgumentException if the field is missing
     */
    public static double number(String json, String key) {
        return Double.parseDouble(raw(json, key));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %s: %d images x %d epochs in %.2f s = %.1f images/s, peak RSS %.0f MiB,"
                + " final loss %.4f", side, model, images, epochs, seconds, imagesPerSecond, peakRssMib, finalLoss);
    }
}
