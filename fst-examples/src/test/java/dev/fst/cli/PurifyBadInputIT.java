package dev.fst.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bad-input suite of {@link PurifyBadInputTest}, every case, through the packaged launcher
 * {@code target/fst/bin/fst purify} as a subprocess: the same exit code, the same one line on
 * stderr, the input untouched and nothing left behind.
 */
class PurifyBadInputIT extends PurifyBadInputTest {

    @Override
    PurifyCommandTest.Run purify(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("purify"));
        command.addAll(args);
        Path work = Files.createTempDirectory("fst-it");
        try {
            FstDistributionIT.Result result = FstDistributionIT.fst(work, command.toArray(String[]::new));
            return new PurifyCommandTest.Run(result.code(), result.out(), result.err());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            try (var files = Files.list(work)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(work);
        }
    }
}
