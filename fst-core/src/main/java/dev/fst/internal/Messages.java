package dev.fst.internal;

/** Message helpers shared by the library and the command, so that every error reads the same way. */
public final class Messages {

    private Messages() {}

    /**
     * Returns the first line of a message, stripped.
     *
     * @param message a message, possibly null, blank or several lines long (an engine's stack trace)
     * @return its first non-blank line, or {@code (no message)}
     */
    public static String firstLine(String message) {
        if (message == null || message.isBlank()) {
            return "(no message)";
        }
        String stripped = message.strip();
        int newline = stripped.indexOf('\n');
        return newline < 0 ? stripped : stripped.substring(0, newline).strip();
    }
}
