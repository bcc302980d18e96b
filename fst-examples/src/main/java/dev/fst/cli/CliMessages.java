package dev.fst.cli;

import java.util.Map;

/**
 * Turns library messages into command-line ones: the first line only, and Java API names replaced
 * by the flags a command-line user sets instead ({@code head(HeadSelector.named(...))} becomes
 * {@code --head NAME}, {@code batchSize} becomes {@code --batch-size}, ...).
 */
final class CliMessages {

    /** Java API phrases and the flag that does the same, in the order they are replaced. */
    private static final Map<String, String> FLAGS = new java.util.LinkedHashMap<>();

    static {
        FLAGS.put("head(HeadSelector.named(...))", "--head NAME");
        FLAGS.put("HeadSelector.named(...)", "--head NAME");
        FLAGS.put("channelsLast(false)", "--no-channels-last");
        FLAGS.put("batchSize must", "--batch-size must");
        FLAGS.put("learningRate must", "--lr must");
        FLAGS.put("epochs must", "--epochs must");
        FLAGS.put("alpha must", "--alpha must");
    }

    private CliMessages() {}

    /**
     * Returns the first line of a message.
     *
     * @param message a message, possibly null or several lines long
     * @return its first line, or {@code (no message)}
     */
    static String oneLine(String message) {
        return dev.fst.internal.Messages.firstLine(message);
    }

    /**
     * Returns the first line of a message with Java API names replaced by flags.
     *
     * @param message a library message
     * @return the line for the command's user
     */
    static String forFlags(String message) {
        String line = oneLine(message);
        for (Map.Entry<String, String> entry : FLAGS.entrySet()) {
            line = line.replaceAll("(?<![-\\w.])" + java.util.regex.Pattern.quote(entry.getKey()),
                    java.util.regex.Matcher.quoteReplacement(entry.getValue()));
        }
        return line;
    }
}
