package dev.fst.perf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Summarises libtorch profiler traces (Chrome trace JSON, as written by {@code JavaPurifyRun
 * --profile} and {@code fst_reference.py --profile}) side by side: the self time of each operator
 * (its duration minus that of the operators it called) per mini-batch, and the time of the run
 * spent outside any operator (the host language's own work).
 *
 * <p>Run: {@code TraceSummary BATCHES java.json pytorch.json}, where {@code BATCHES} is the number
 * of mini-batches each trace covers.
 */
public final class TraceSummary {

    private TraceSummary() {}

    /** The arguments. */
    @picocli.CommandLine.Command(mixinStandardHelpOptions = true, name = "trace-summary", description = "Profiler traces side by side.")
    private static final class Args {
        @picocli.CommandLine.Parameters(index = "0", paramLabel = "BATCHES",
                description = "the number of mini-batches each trace covers")
        int batches;
        @picocli.CommandLine.Parameters(index = "1..*", arity = "1..*", paramLabel = "TRACE.json",
                description = "Chrome trace JSON files")
        List<Path> traces = new ArrayList<>();
    }

    /** One trace reduced to what the report needs. */
    record Profile(Map<String, Double> selfMicros, double spanMicros, double outsideMicros) {}

    private record Event(String name, String thread, double start, double duration) {}

    /**
     * Prints the comparison.
     *
     * @param args the number of mini-batches, then one or more trace files
     * @throws IOException if a trace cannot be read
     */
    public static void main(String[] args) throws IOException {
        Args a = dev.fst.lab.OptionParsing.parse(new Args(), args);
        int batches = a.batches;
        List<String> names = new ArrayList<>();
        List<Profile> profiles = new ArrayList<>();
        for (Path trace : a.traces) {
            names.add(trace.getFileName().toString());
            profiles.add(read(trace));
        }
        System.out.print(format(batches, names, profiles, 14));
    }

    /**
     * Reads a trace.
     *
     * @param file a Chrome trace JSON file
     * @return its per-operator self times, span and time outside operators, in microseconds
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if it holds no complete ("X") events
     */
    static Profile read(Path file) throws IOException {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + " is not a JSON trace: " + e.getMessage(), e);
        }
        JsonArray array = root.isJsonArray() ? root.getAsJsonArray()
                : root.isJsonObject() && root.getAsJsonObject().has("traceEvents")
                        ? root.getAsJsonObject().getAsJsonArray("traceEvents") : new JsonArray();
        List<Event> events = new ArrayList<>();
        for (JsonElement element : array) {
            if (!element.isJsonObject()) {
                continue;
            }
            JsonObject e = element.getAsJsonObject();
            if (!e.has("ph") || !"X".equals(e.get("ph").getAsString()) || !e.has("name") || !e.has("ts")
                    || !e.has("dur")) {
                continue;
            }
            events.add(new Event(e.get("name").getAsString(), e.has("tid") ? e.get("tid").getAsString() : "",
                    e.get("ts").getAsDouble(), e.get("dur").getAsDouble()));
        }
        if (events.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no complete profiler events");
        }
        return profile(events);
    }

    private static Profile profile(List<Event> events) {
        Map<String, List<Event>> byThread = new LinkedHashMap<>();
        for (Event e : events) {
            byThread.computeIfAbsent(e.thread(), t -> new ArrayList<>()).add(e);
        }
        Map<String, Double> self = new HashMap<>();
        double span = 0;
        double outside = 0;
        String busiest = null;
        for (Map.Entry<String, List<Event>> entry : byThread.entrySet()) {
            List<Event> list = entry.getValue();
            list.sort(Comparator.comparingDouble(Event::start).thenComparing(Comparator.comparingDouble(Event::duration).reversed()));
            double first = list.get(0).start();
            double last = list.stream().mapToDouble(e -> e.start() + e.duration()).max().orElse(first);
            double covered = 0;
            double end = first;
            List<Event> stack = new ArrayList<>();
            Map<Event, Double> children = new HashMap<>();
            for (Event e : list) {
                while (!stack.isEmpty() && end(stack.get(stack.size() - 1)) <= e.start()) {
                    stack.remove(stack.size() - 1);
                }
                if (!stack.isEmpty()) {
                    children.merge(stack.get(stack.size() - 1), e.duration(), Double::sum);
                }
                stack.add(e);
                if (end(e) > end) {
                    covered += end(e) - Math.max(e.start(), end);
                    end = end(e);
                }
            }
            for (Event e : list) {
                self.merge(e.name(), e.duration() - children.getOrDefault(e, 0.0), Double::sum);
            }
            if (busiest == null || last - first > span) {
                busiest = entry.getKey();
                span = last - first;
                outside = span - covered;
            }
        }
        return new Profile(self, span, outside);
    }

    private static double end(Event e) {
        return e.start() + e.duration();
    }

    /**
     * Formats the top operators of each profile side by side, in ms per mini-batch.
     *
     * @param batches mini-batches per trace
     * @param names column names
     * @param profiles the traces
     * @param top how many operators to list (the largest in any trace)
     * @return a Markdown table
     */
    static String format(int batches, List<String> names, List<Profile> profiles, int top) {
        Map<String, Double> largest = new HashMap<>();
        for (Profile p : profiles) {
            p.selfMicros().forEach((op, us) -> largest.merge(op, us, Math::max));
        }
        List<String> ops = largest.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(top).map(Map.Entry::getKey).toList();
        StringBuilder md = new StringBuilder("| operator (self time, ms per batch) |");
        names.forEach(n -> md.append(' ').append(n).append(" |"));
        md.append('\n').append("|---|").append("---|".repeat(names.size())).append('\n');
        for (String op : ops) {
            md.append("| ").append(op).append(" |");
            for (Profile p : profiles) {
                md.append(String.format(Locale.ROOT, " %.1f |", p.selfMicros().getOrDefault(op, 0.0) / 1000 / batches));
            }
            md.append('\n');
        }
        md.append("| *all operators* |");
        for (Profile p : profiles) {
            double sum = p.selfMicros().values().stream().mapToDouble(Double::doubleValue).sum();
            md.append(String.format(Locale.ROOT, " %.1f |", sum / 1000 / batches));
        }
        md.append("\n| *outside any operator* |");
        for (Profile p : profiles) {
            md.append(String.format(Locale.ROOT, " %.1f |", p.outsideMicros() / 1000 / batches));
        }
        md.append("\n| *wall span of the trace* |");
        for (Profile p : profiles) {
            md.append(String.format(Locale.ROOT, " %.1f |", p.spanMicros() / 1000 / batches));
        }
        return md.append('\n').toString();
    }
}
