package dev.fst.lab;

import picocli.CommandLine;

/**
 * Parses a program's options with picocli into an annotated object, the way every program of the
 * examples does: no {@code @file} expansion, an option given twice takes its last value (a tier's
 * settings come first, the user's after), a bad option is an {@link IllegalArgumentException}
 * whose message is the option's own check or picocli's message followed by the generated usage,
 * and {@code --help} prints the usage and exits the program with status 0.
 */
public final class OptionParsing {

    private OptionParsing() {}

    /**
     * Parses the arguments into the annotated object.
     *
     * @param options an object with picocli {@code @Command}, {@code @Option} and maybe {@code
     *     @Unmatched} members
     * @param args the arguments
     * @param <T> its type
     * @return {@code options}, filled in
     * @throws IllegalArgumentException naming the bad option
     */
    public static <T> T parse(T options, String... args) {
        CommandLine line = new CommandLine(options).setExpandAtFiles(false).setOverwrittenOptionsAllowed(true);
        try {
            line.parseArgs(args);
            if (line.isUsageHelpRequested() || line.isVersionHelpRequested()) {
                // --help (or -V, which prints the usage too: the programs have no version of their own)
                System.out.print(line.getUsageMessage(CommandLine.Help.Ansi.OFF));
                System.exit(0);
            }
        } catch (CommandLine.ParameterException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof IllegalArgumentException refused) {
                    throw new IllegalArgumentException(refused.getMessage(), refused); // an option's own check
                }
            }
            throw new IllegalArgumentException(e.getMessage() + "\n" + usage(options), e);
        }
        return options;
    }

    /**
     * Returns the usage text picocli generates for the annotated object.
     *
     * @param options the annotated object
     * @return the usage, one option per line
     */
    public static String usage(Object options) {
        return new CommandLine(options).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }
}
