package dev.fst.perf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.Locale;

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
        JsonObject o = object(json);
        JsonArray losses = field(o, json, "epochLoss").getAsJsonArray();
        return new SideRun(
                field(o, json, "side").getAsString(),
                field(o, json, "model").getAsString(),
                field(o, json, "images").getAsInt(),
                field(o, json, "epochs").getAsInt(),
                field(o, json, "seconds").getAsDouble(),
                field(o, json, "imagesPerSecond").getAsDouble(),
                field(o, json, "peakRssMb").getAsDouble(),
                losses.get(losses.size() - 1).getAsDouble(),
                field(o, json, "runtime").getAsString());
    }

    private static JsonObject object(String json) {
        try {
            JsonElement element = JsonParser.parseString(json);
            if (!element.isJsonObject()) {
                throw new IllegalArgumentException("the run's report is not a JSON object: " + json);
            }
            return element.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("the run's report is not JSON: " + json, e);
        }
    }

    private static JsonElement field(JsonObject o, String json, String key) {
        if (!o.has(key)) {
            throw new IllegalArgumentException("the run's report has no \"" + key + "\" field: " + json);
        }
        return o.get(key);
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
        return field(object(json), json, key).getAsDouble();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %s: %d images x %d epochs in %.2f s = %.1f images/s, peak RSS %.0f MiB,"
                + " final loss %.4f", side, model, images, epochs, seconds, imagesPerSecond, peakRssMib, finalLoss);
    }
}
