package dev.fst.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;

/**
 * The two files one {@code purify} run writes, the model and its JSON report, checked before any
 * work and then written as a pair: after the run either both are in place or neither is (old
 * files replaced with {@code --force} stay untouched until the commit).
 *
 * <p>{@link #open} checks, in this order, without writing anything the user sees: that {@code
 * --out} names a file in an existing folder, that it is not a folder, that the report (the
 * model's name with {@code .json} for its extension) is not the model itself, that neither output
 * nor any temporary file is the input model (resolved through symbolic and hard links), that
 * existing outputs are replaced only with {@code --force}, and that both file names fit the
 * 255-byte limit. It then creates the lock file {@code .purify-HASH.lock} next to the model
 * ({@code HASH} identifies the output path, so temporary names have a fixed length whatever the
 * output's name), which proves the folder writable and keeps a concurrent run on the same {@code
 * --out} out (an OS file lock, released by the OS if this process dies), deletes temporary files a
 * killed earlier run left behind, and compares the folder's free space with the expected size.
 *
 * <p>{@link #writeModel} and {@link #writeReport} fill the hidden temporaries {@code
 * .purify-HASH.model.part} and {@code .purify-HASH.report.part} (ordinary new files: the umask sets
 * their permissions); {@link #commit} renames both into place.
 * A shutdown hook covers SIGINT and SIGTERM: before the commit it deletes the temporaries, during
 * the commit it waits for it to finish. {@link #close} removes the temporaries of an uncommitted
 * run and the lock file. A SIGKILL cannot be intercepted: it may leave temporaries, which the next
 * run on the same {@code --out} deletes.
 *
 * <p>Not thread-safe apart from the shutdown hook.
 */
final class OutputTransaction implements AutoCloseable {

    /** The longest file name, in bytes, that Linux file systems accept. */
    static final int NAME_MAX = 255;

    private static final String MODEL_PART = ".model.part";
    private static final String REPORT_PART = ".report.part";
    private static final String LOCK = ".lock";

    private final Path model;
    private final Path report;
    private final Path modelPart;
    private final Path reportPart;
    /** Extra outputs (charts) by suffix: final path and temporary, written only when asked. */
    private final Map<String, Path[]> extras = new LinkedHashMap<>();
    private final java.util.Set<String> written = new java.util.HashSet<>();
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Thread hook;
    private final Object guard = new Object();
    private boolean aborted;
    private boolean committed;

    private OutputTransaction(Path model, Path report, Path lockFile, FileChannel lockChannel, FileLock lock,
            List<String> extraSuffixes) {
        this.model = model;
        this.report = report;
        this.modelPart = hidden(model, MODEL_PART);
        this.reportPart = hidden(model, REPORT_PART);
        for (int i = 0; i < extraSuffixes.size(); i++) {
            extras.put(extraSuffixes.get(i), new Path[] {extraPath(model, extraSuffixes.get(i)),
                hidden(model, ".extra" + i + ".part")});
        }
        this.lockFile = lockFile;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.hook = new Thread(this::abort, "purify-output-cleanup");
    }

    /**
     * Returns the report's path for a model path: the same name with the extension {@code .json}.
     *
     * @param output the model's path
     * @return the report's path
     */
    static Path reportPath(Path output) {
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return output.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
    }

    /**
     * Checks the outputs against the input and each other, locks them, and cleans up after a
     * killed earlier run.
     *
     * @param input the input model file, which exists
     * @param out the {@code --out} value
     * @param force whether existing outputs may be replaced
     * @param expectedBytes about how many bytes the two outputs take
     * @return the open transaction; close it
     * @throws IllegalArgumentException with one line naming the problem and the flag
     */
    static OutputTransaction open(Path input, Path out, boolean force, long expectedBytes) {
        return open(input, out, force, expectedBytes, List.of());
    }

    /**
     * The path of an extra output: the model's name without its extension, then the suffix.
     *
     * @param model the model's path
     * @param suffix such as {@code -alpha.png}
     * @return the extra output's path
     */
    static Path extraPath(Path model, String suffix) {
        String name = model.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return model.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + suffix);
    }

    /**
     * Checks the outputs, extra ones (charts) included, as {@link #open(Path, Path, boolean, long)}
     * does for the model and the report.
     *
     * @param input the input model file, which exists
     * @param out the {@code --out} value
     * @param force whether existing outputs may be replaced
     * @param expectedBytes about how many bytes the outputs take
     * @param extraSuffixes suffixes of extra outputs that may be written, such as {@code -alpha.png}
     * @return the open transaction; close it
     * @throws IllegalArgumentException with one line naming the problem and the flag
     */
    static OutputTransaction open(Path input, Path out, boolean force, long expectedBytes,
            List<String> extraSuffixes) {
        Objects.requireNonNull(input, "input");
        if (out == null || out.toString().isBlank()) {
            throw new IllegalArgumentException("--out needs a file name, for example --out purified.pt");
        }
        Path absolute = out.toAbsolutePath().normalize();
        if (absolute.getFileName() == null) {
            throw new IllegalArgumentException("--out " + out + " names no file; give a file name such as purified.pt");
        }
        Path folder = absolute.getParent();
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("the folder of --out " + out + " does not exist: " + folder);
        }
        Path report = reportPath(absolute);
        if (extension(absolute).equals("json")) {
            throw new IllegalArgumentException("--out " + out + " ends in .json, the name of the report written"
                    + " next to the model (" + report.getFileName() + "); give the model another extension, such"
                    + " as .pt");
        }
        for (Path path : List.of(absolute, report)) {
            if (Files.isDirectory(path)) {
                throw new IllegalArgumentException((path == absolute ? "--out " + out : "the report " + path)
                        + " is a folder; " + (path == absolute ? "name the file to write the model to"
                                : "choose another --out"));
            }
        }
        Path lockFile = hidden(absolute, LOCK);
        checkNotInput(input, absolute, "--out " + out + " is the input model; choose another file");
        checkNotInput(input, report, "the report " + report + ", written next to --out, would overwrite the"
                + " input model; choose another --out");
        List<Path> helpers = new java.util.ArrayList<>(List.of(hidden(absolute, MODEL_PART),
                hidden(absolute, REPORT_PART), lockFile));
        for (int i = 0; i < extraSuffixes.size(); i++) {
            helpers.add(hidden(absolute, ".extra" + i + ".part"));
        }
        for (Path helper : helpers) {
            checkNotInput(input, helper, "the temporary file " + helper + " of --out would overwrite the input"
                    + " model; choose another --out");
        }
        List<Path> finals = new java.util.ArrayList<>(List.of(absolute, report));
        for (String suffix : extraSuffixes) {
            Path extra = extraPath(absolute, suffix);
            if (Files.isDirectory(extra)) {
                throw new IllegalArgumentException("the output " + extra + " is a folder; choose another --out");
            }
            checkNotInput(input, extra, "the output " + extra + ", written next to --out, would overwrite the input"
                    + " model; choose another --out");
            finals.add(extra);
        }
        for (Path path : finals) {
            if (!force && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException(path + " already exists; use --force to replace it");
            }
        }
        checkNameLength(absolute, "--out");
        checkNameLength(report, "the report of --out (its name with the extension .json)");
        FileChannel channel;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write to the folder of --out (" + folder + "): "
                    + reason(e), e);
        }
        FileLock lock = null;
        try {
            lock = tryLock(channel);
            if (lock == null || !sameFile(channel, lockFile)) {
                throw new IllegalArgumentException("another purify run is writing " + absolute + " (it holds "
                        + lockFile + "); wait for it to finish or choose another --out");
            }
            OutputTransaction transaction = new OutputTransaction(absolute, report, lockFile, channel, lock,
                    extraSuffixes);
            transaction.start(expectedBytes);
            return transaction;
        } catch (RuntimeException e) {
            closeQuietly(channel);
            if (lock != null) {
                deleteQuietly(lockFile);
            }
            throw e;
        }
    }

    private void start(long expectedBytes) {
        try {
            for (Path part : parts()) {
                Files.deleteIfExists(part);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot remove the temporary files a stopped run left next to --out ("
                    + modelPart.getFileName() + "): " + reason(e), e);
        }
        long usable;
        try {
            usable = Files.getFileStore(lockFile).getUsableSpace();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the free space of " + lockFile.getParent() + ": "
                    + reason(e), e);
        }
        checkFreeSpace(usable, expectedBytes, lockFile.getParent());
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Refuses a folder with less free space than the outputs need, with a margin of 10 %.
     *
     * @param usable free bytes of the folder's file system
     * @param expected bytes the outputs take
     * @param folder the folder, for the message
     * @throws IllegalArgumentException if the space is short
     */
    static void checkFreeSpace(long usable, long expected, Path folder) {
        if (usable < expected + expected / 10) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "not enough free space in the folder of --out (%s): %.1f MB free, the purified model and its"
                            + " report need about %.1f MB", folder, usable / 1e6, (expected + expected / 10) / 1e6));
        }
    }

    /**
     * Returns the hidden files of this run: the two temporaries and the lock.
     *
     * @return their paths
     */
    List<Path> hiddenFiles() {
        List<Path> files = new java.util.ArrayList<>(parts());
        files.add(lockFile);
        return files;
    }

    /**
     * Returns the model's final path.
     *
     * @return the absolute path
     */
    Path model() {
        return model;
    }

    /**
     * Returns the report's final path.
     *
     * @return the absolute path
     */
    Path report() {
        return report;
    }

    /** What writes a file's content. */
    interface Content {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes the model into its temporary file.
     *
     * @param content writes the model
     * @throws IOException if writing fails (the temporary file is removed)
     */
    void writeModel(Content content) throws IOException {
        write(modelPart, content);
    }

    /**
     * Writes the report into its temporary file.
     *
     * @param json the report
     * @throws IOException if writing fails (the temporary file is removed)
     */
    void writeReport(String json) throws IOException {
        write(reportPart, out -> out.write(json.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Writes an extra output (a chart) into its temporary file; it is moved into place with the
     * others by {@link #commit}.
     *
     * @param suffix one of the suffixes given to {@link #open}
     * @param content writes it
     * @return the extra output's final path
     * @throws IOException if writing fails (the temporary file is removed)
     */
    Path writeExtra(String suffix, Content content) throws IOException {
        Path[] paths = extras.get(suffix);
        if (paths == null) {
            throw new IllegalArgumentException("no extra output " + suffix + " was declared");
        }
        write(paths[1], content);
        written.add(suffix);
        return paths[0];
    }

    private void write(Path part, Content content) throws IOException {
        OutputStream stream;
        synchronized (guard) {
            if (aborted) {
                throw new IOException("the run is being stopped; nothing was written");
            }
            stream = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
        boolean done = false;
        try (stream) {
            content.write(stream);
            done = true;
        } finally {
            if (!done) {
                deleteQuietly(part);
            }
        }
    }

    /**
     * Moves both temporary files into place: the model, then the report. If the second move fails
     * the first is undone, so that neither output is left without the other.
     *
     * @throws IOException if a move fails
     */
    void commit() throws IOException {
        synchronized (guard) {
            if (aborted) {
                throw new IOException("the run is being stopped; nothing was written");
            }
            List<Path[]> moves = new java.util.ArrayList<>();
            moves.add(new Path[] {modelPart, model});
            for (String suffix : written) {
                Path[] paths = extras.get(suffix);
                moves.add(new Path[] {paths[1], paths[0]});
            }
            moves.add(new Path[] {reportPart, report});
            List<Path> done = new java.util.ArrayList<>();
            try {
                for (Path[] move : moves) {
                    move(move[0], move[1]);
                    done.add(move[1]);
                }
            } catch (IOException e) {
                done.forEach(OutputTransaction::deleteQuietly);
                throw e;
            }
            committed = true;
        }
    }

    /**
     * Moves only the report into place and drops every other output: a run whose model must not be
     * written (the accuracy guard's budget was exceeded) still says why.
     *
     * @throws IOException if the move fails
     */
    void commitReportOnly() throws IOException {
        synchronized (guard) {
            if (aborted) {
                throw new IOException("the run is being stopped; nothing was written");
            }
            move(reportPart, report);
            committed = true;
            for (Path part : parts()) {
                deleteQuietly(part);
            }
        }
    }

    private List<Path> parts() {
        List<Path> parts = new java.util.ArrayList<>(List.of(modelPart, reportPart));
        extras.values().forEach(p -> parts.add(p[1]));
        return parts;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * What the shutdown hook does: waits for a commit in progress, then marks the run stopped
     * (nothing is committed any more) and removes the temporaries and the lock.
     */
    void abort() {
        synchronized (guard) {
            aborted = true;
            if (!committed) {
                parts().forEach(OutputTransaction::deleteQuietly);
            }
            release();
        }
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the JVM is shutting down and the hook runs (or ran) on its own
        }
        synchronized (guard) {
            if (!committed) {
                parts().forEach(OutputTransaction::deleteQuietly);
            }
            release();
        }
    }

    private void release() {
        if (lock.isValid()) {
            deleteQuietly(lockFile);
            try {
                lock.release();
            } catch (IOException e) {
                // the channel closes below
            }
        }
        closeQuietly(lockChannel);
    }

    private static FileLock tryLock(FileChannel channel) {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot lock the output of --out: " + reason(e), e);
        }
    }

    /**
     * Whether the locked file is still the one at {@code path}: a run that finishes deletes its lock
     * file, so a run that opened it just before holds a lock on a file nobody else can see.
     */
    private static boolean sameFile(FileChannel channel, Path path) {
        return channel.isOpen() && Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    private static void checkNotInput(Path input, Path candidate, String message) {
        try {
            if (Files.exists(candidate) && Files.isSameFile(candidate, input)) {
                throw new IllegalArgumentException(message);
            }
            Path realInput = input.toRealPath();
            Path realCandidate = candidate.getParent().toRealPath().resolve(candidate.getFileName());
            if (realCandidate.equals(realInput)) {
                throw new IllegalArgumentException(message);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot compare " + candidate + " with the input model: " + reason(e),
                    e);
        }
    }

    private static void checkNameLength(Path path, String what) {
        int bytes = path.getFileName().toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > NAME_MAX) {
            throw new IllegalArgumentException("the file name of " + what + " is " + bytes + " bytes long, past the "
                    + NAME_MAX + "-byte limit of file names: use a shorter name");
        }
    }

    /** A hidden sibling of the model whose name has a fixed length: a hash of the model's path. */
    private static Path hidden(Path model, String suffix) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(model.toString().getBytes(StandardCharsets.UTF_8));
            String hash = java.util.HexFormat.of().formatHex(digest, 0, 6);
            return model.resolveSibling(".purify-" + hash + suffix);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String extension(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason().toLowerCase(Locale.ROOT);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // best effort: a later run on the same --out removes it
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
