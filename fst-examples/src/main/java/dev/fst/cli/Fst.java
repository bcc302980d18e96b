package dev.fst.cli;

import ai.djl.engine.Engine;
import dev.fst.bench.Benchmark;
import dev.fst.internal.Environment;
import dev.fst.bench.Figures;
import dev.fst.lab.BackdoorLab;
import dev.fst.perf.SpeedBenchmark;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * The {@code fst} executable: one picocli command whose subcommands are the project's programs.
 *
 * <pre>
 * fst purify --model model.pt --data folder:clean --out purified.pt [--poisoned-data folder:DIR --target N]
 * fst lab [--attack blended --methods all ...]      the backdoor lab (the main job)
 * fst bench [--tier quick ...]                      the benchmark grid
 * fst figures [--figures curves,alpha ...]          the benchmark's figures
 * fst speed [--smoke ...]                           the speed comparison with PyTorch
 * fst --version                                     library, DJL and libtorch versions
 * </pre>
 *
 * <p>Each subcommand hands its arguments, {@code --help} included, to its program, which
 * validates them and prints its own usage; exit code 2 is bad input everywhere. The distribution
 * built by {@code mvn -q -B -DskipTests package} puts a launcher {@code fst} and every jar in
 * {@code fst-examples/target/fst/} (see README.md); it runs offline with the CPU libtorch from the
 * Maven artifacts.
 */
@Command(name = "fst", mixinStandardHelpOptions = true, versionProvider = Fst.Version.class,
        description = "Feature Shift Tuning: remove backdoors from image classifiers with a few epochs of tuning"
                + " on a small clean set.",
        subcommands = {Fst.Purify.class, Fst.Lab.class, Fst.Bench.class, Fst.Figures.class, Fst.Speed.class},
        footer = {"", "Run fst COMMAND --help for a command's options."})
public final class Fst implements Runnable {

    @Spec
    private CommandSpec spec;

    /**
     * Runs the executable and exits with the subcommand's exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * Builds the command line: no {@code @file} expansion, bad usage is exit code 2.
     *
     * @return the command line
     */
    public static CommandLine commandLine() {
        CommandLine line = new CommandLine(new Fst());
        line.setExpandAtFiles(false);
        line.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println("fst: " + CliMessages.oneLine(e.getMessage())
                    + " (see fst --help)");
            return 2;
        });
        return line;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "missing command: use purify, lab, bench, figures or speed");
    }

    /** The versions {@code fst --version} prints. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String library = Fst.class.getPackage().getImplementationVersion();
            String libtorch;
            try {
                libtorch = Environment.capture(Engine.getEngine("PyTorch")).get("engineVersion");
            } catch (RuntimeException e) {
                libtorch = "not loadable (" + CliMessages.oneLine(e.getMessage()) + ")";
            }
            return new String[] {
                "fst " + (library != null ? library : "(development build, no jar manifest)"),
                "DJL " + Engine.getDjlVersion(),
                "libtorch " + libtorch,
                "Java " + System.getProperty("java.version") + " (" + Environment.machine() + ")"
            };
        }
    }

    /** A subcommand that hands every argument to its program. */
    abstract static class Forward implements Callable<Integer> {
        @Unmatched
        List<String> args = new ArrayList<>();

        String[] arguments() {
            return args.toArray(String[]::new);
        }
    }

    /** {@code fst purify}: {@link PurifyCommand}. */
    @Command(name = "purify", description = "Purify a TorchScript model with clean images (fst purify --help).")
    static final class Purify extends Forward {
        @Override
        public Integer call() {
            return PurifyCommand.run(arguments(), System.out, System.err);
        }
    }

    /** {@code fst lab}: {@link BackdoorLab}. */
    @Command(name = "lab", description = "The backdoor lab: train a backdoored model and purify it (the main job).")
    static final class Lab extends Forward {
        @Override
        public Integer call() {
            BackdoorLab.main(arguments());
            return 0;
        }
    }

    /** {@code fst bench}: {@link Benchmark}. */
    @Command(name = "bench", description = "The benchmark grid: every defense on every attack and rate.")
    static final class Bench extends Forward {
        @Override
        public Integer call() {
            Benchmark.main(arguments());
            return 0;
        }
    }

    /** {@code fst figures}: {@link Figures}. */
    @Command(name = "figures", description = "The benchmark's figures on one lab setting, as PNG and CSV.")
    static final class Figures extends Forward {
        @Override
        public Integer call() {
            dev.fst.bench.Figures.main(arguments());
            return 0;
        }
    }

    /** {@code fst speed}: {@link SpeedBenchmark}. */
    @Command(name = "speed", description = "The speed comparison of this library with PyTorch.")
    static final class Speed extends Forward {
        @Override
        public Integer call() throws Exception {
            SpeedBenchmark.main(arguments());
            return 0;
        }
    }
}
