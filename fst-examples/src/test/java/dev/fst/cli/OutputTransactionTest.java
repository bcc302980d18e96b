package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputTransactionTest {

    @TempDir
    Path dir;

    private Path input() throws IOException {
        return Files.writeString(dir.resolve("model.pt"), "input model");
    }

    @Test
    void commit_writesModelAndReport_withTheUmasksPermissions_andLeavesNoHiddenFile() throws IOException {
        Path input = input();
        Path out = dir.resolve("out.pt");
        try (OutputTransaction t = OutputTransaction.open(input, out, false, 100)) {
            assertEquals(dir.resolve("out.json"), t.report());
            t.writeModel(s -> s.write("model".getBytes(StandardCharsets.UTF_8)));
            t.writeReport("{}");
            assertFalse(Files.exists(out), "nothing is visible before the commit");
            t.commit();
        }
        assertEquals("model", Files.readString(out));
        assertEquals("{}", Files.readString(dir.resolve("out.json")));
        Set<PosixFilePermission> ordinary = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));
        assertEquals(ordinary, Files.getPosixFilePermissions(out), "an ordinary new file's permissions (umask)");
        assertEquals(ordinary, Files.getPosixFilePermissions(dir.resolve("out.json")));
        assertEquals(List.of("model.pt", "out.json", "out.pt", "plain"), listing());
    }

    @Test
    void interruptBeforeTheCommit_leavesNeitherFile_andInterruptAfterIt_leavesBoth() throws IOException {
        Path input = input();
        Path out = dir.resolve("out.pt");
        try (OutputTransaction t = OutputTransaction.open(input, out, false, 100)) {
            t.writeModel(s -> s.write(1));
            t.abort(); // what SIGINT or SIGTERM runs before the commit
            assertThrows(IOException.class, () -> t.writeReport("{}"));
            assertThrows(IOException.class, t::commit);
        }
        assertEquals(List.of("model.pt"), listing(), "neither output, no temporary, no lock");
        try (OutputTransaction t = OutputTransaction.open(input, out, false, 100)) {
            t.writeModel(s -> s.write(1));
            t.writeReport("{}");
            t.commit();
            t.abort(); // the hook waits for a commit in progress and then keeps its result
        }
        assertEquals(List.of("model.pt", "out.json", "out.pt"), listing(), "both outputs");
    }

    @Test
    void filesOfAKilledRun_areRemovedByTheNextRunOnTheSameOutput() throws IOException {
        Path input = input();
        Path out = dir.resolve("out.pt");
        List<Path> hidden;
        try (OutputTransaction t = OutputTransaction.open(input, out, false, 100)) {
            hidden = t.hiddenFiles();
        }
        for (Path file : hidden) {
            Files.write(file, new byte[0]); // what a SIGKILL during the save leaves
        }
        try (OutputTransaction t = OutputTransaction.open(input, out, false, 100)) {
            assertFalse(Files.exists(hidden.get(0)), "stale model temporary removed at the start");
            assertFalse(Files.exists(hidden.get(1)), "stale report temporary removed at the start");
            t.writeModel(s -> s.write(1));
            t.writeReport("{}");
            t.commit();
        }
        assertEquals(List.of("model.pt", "out.json", "out.pt"), listing());
    }

    @Test
    void aConcurrentRunOnTheSameOutput_isRefusedAtOnce() throws IOException {
        Path input = input();
        Path out = dir.resolve("out.pt");
        try (OutputTransaction first = OutputTransaction.open(input, out, false, 100)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OutputTransaction.open(input, out, false, 100));
            assertTrue(e.getMessage().startsWith("another purify run is writing " + out), e.getMessage());
            PurifyCommandTest.Run run = PurifyCommandTest.purify("--model",
                    Path.of("src/test/resources/cli/backdoored_resnet.pt").toAbsolutePath().toString(), "--data",
                    "folder:" + Path.of("src/test/resources/cli/clean").toAbsolutePath(), "--out", out.toString());
            assertEquals(2, run.code(), run.err());
            assertTrue(run.err().contains("another purify run is writing"), run.err());
        }
    }

    @Test
    void freeSpace_isComparedWithTheOutputsSize() {
        OutputTransaction.checkFreeSpace(2_000_000, 1_000_000, dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OutputTransaction.checkFreeSpace(1_000_000, 1_000_000, dir));
        assertTrue(e.getMessage().contains("not enough free space in the folder of --out"), e.getMessage());
        assertTrue(e.getMessage().contains("1.0 MB free, the purified model and its report need about 1.1 MB"),
                e.getMessage());
    }

    @Test
    void aLegalLongName_fitsBecauseTemporaryNamesHaveAFixedLength() throws IOException {
        Path input = input();
        String name = "m".repeat(248) + ".pt";
        try (OutputTransaction t = OutputTransaction.open(input, dir.resolve(name), false, 100)) {
            for (Path hidden : t.hiddenFiles()) {
                assertTrue(hidden.getFileName().toString().length() < 40, hidden.toString());
            }
            t.writeModel(s -> s.write(1));
            t.writeReport("{}");
            t.commit();
        }
        assertEquals(List.of("m".repeat(248) + ".json", name, "model.pt"), listing());
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
