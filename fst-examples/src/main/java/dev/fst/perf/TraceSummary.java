package dev.fst.perf;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static final Pattern COMPLETE = Pattern.compile("\"ph\"\\s*:\\s*\"X\"");
    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern TS = Pattern.compile("\"ts\"\\s*:\\s*([0-9.eE+-]+)");
    private static final Pattern DUR = Pattern.compile("\"dur\"\\s*:\\s*([0-9.eE+-]+)");
    private static final Pattern TID = Pattern.compile("\"tid\"\\s*:\\s*\"?([^,\"}]*)");

    private TraceSummary() {}

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
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: TraceSummary BATCHES TRACE.json [TRACE.json ...]");
        }
        int batches = Integer.parseInt(args[0]);
        List<String> names = new ArrayList<>();
        List<Profile> profiles = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            names.add(Path.of(args[i]).getFileName().toString());
            profiles.add(read(Path.of(args[i])));
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
        String json = Files.readString(file, StandardCharsets.UTF_8);
        List<Event> events = new ArrayList<>();
        for (String e : topLevelObjects(json)) {
            if (!COMPLETE.matcher(e).find()) {
                continue;
            }
            Matcher name = NAME.matcher(e);
            Matcher ts = TS.matcher(e);
            Matcher dur = DUR.matcher(e);
            Matcher tid = TID.matcher(e);
            if (name.find() && ts.find() && dur.find()) {
                events.add(new Event(name.group(1), tid.find() ? tid.group(1) : "", Double.parseDouble(ts.group(1)),
                        Double.parseDouble(dur.group(1))));
            }
        }
        if (events.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no complete profiler events");
        }
        return profile(events);
    }

    /** The objects of the trace's top-level array (or of its "traceEvents" array), as text. */
    private static List<String> topLevelObjects(String json) {
        List<String> objects = new ArrayList<>();
        int start = json.indexOf("\"traceEvents\"");
        int depth = 0;
        int open = -1;
        boolean inString = false;
        int base = 0;
        for (int i = Math.max(0, start); i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            if (c == '"') {
                inString = true;
            } else if (c == '{') {
                if (depth == base) {
                    open = i;
                }
                depth++;
            } else if (c == '}') {
                depth--;
                if (depth == base && open >= 0) {
                    objects.add(json.substring(open, i + 1));
                    open = -1;
                }
            }
        }
        return objects;
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
