package dev.fst.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file through a temporary sibling and a rename, so readers never see half a file. The
 * temporary is an ordinary new file, so the result gets the permissions the umask gives any new
 * file (not the owner-only ones of {@link Files#createTempFile}). The one atomic-write helper of the
 * project: model files, benchmark results and figures use it; the {@code purify} command's
 * two-file transaction builds on the same rename.
 */
public final class AtomicFiles {

    /** What writes the content. */
    public interface Writer {
        /**
         * Writes the content.
         *
         * @param out the temporary file's stream; closed by the caller
         * @throws IOException if writing fails
         */
        void write(OutputStream out) throws IOException;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private AtomicFiles() {}

    /**
     * Writes a file atomically.
     *
     * @param target the file
     * @param replace whether an existing file may be replaced
     * @param writer writes the content
     * @throws IOException if the folder is missing, the file exists and may not be replaced, or
     *     writing fails; the target is then unchanged and no temporary is left
     */
    public static void write(Path target, boolean replace, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("the folder of " + target + " does not exist");
        }
        if (!replace && Files.exists(absolute)) {
            throw new IOException(target + " already exists");
        }
        Path temp = dir.resolve(".tmp-" + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".part");
        try {
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                writer.write(out);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Writes a UTF-8 text file atomically, replacing it if it exists.
     *
     * @param target the file
     * @param text the content
     * @throws IOException if the folder is missing or writing fails
     */
    public static void writeString(Path target, String text) throws IOException {
        write(target, true, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
