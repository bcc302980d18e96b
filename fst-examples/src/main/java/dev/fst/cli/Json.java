package dev.fst.cli;

import java.util.Collection;
import java.util.Map;

/**
 * A minimal JSON writer for reports: maps (in their iteration order), collections, {@code double[]},
 * strings, finite numbers, booleans and {@code null}; anything else is written as its string.
 */
public final class Json {

    private Json() {}

    /**
     * Formats a value as indented JSON.
     *
     * @param value the value
     * @return the JSON text, ending with a line break
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        append(sb, value, 0);
        return sb.append('\n').toString();
    }

    private static void append(StringBuilder sb, Object value, int indent) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
                string(sb, String.valueOf(entry.getKey()));
                sb.append(": ");
                append(sb, entry.getValue(), indent + 1);
                first = false;
            }
            sb.append(first ? "}" : "\n" + "  ".repeat(indent) + "}");
        } else if (value instanceof Collection<?> list) {
            sb.append('[');
            boolean first = true;
            for (Object item : list) {
                sb.append(first ? "" : ", ");
                append(sb, item, indent + 1);
                first = false;
            }
            sb.append(']');
        } else if (value instanceof double[] array) {
            append(sb, java.util.Arrays.stream(array).boxed().toList(), indent);
        } else if (value instanceof Double d && Double.isFinite(d) || value instanceof Float f && Float.isFinite(f)
                || value instanceof Integer || value instanceof Long) {
            sb.append(value);
        } else if (value instanceof Boolean) {
            sb.append(value);
        } else {
            string(sb, String.valueOf(value));
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
