package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command says what it changed in the user's images, on stderr, and checks options before decoding. */
class PurifyInputWarningsTest {

    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();
    private static final List<String> CLASSES = List.of("circle", "cross", "hstripes", "vstripes");

    @TempDir
    Path dir;

    /** A copy of the fixture's images, {@code perClass} per class (all of them when 0). */
    private Path copy(String name, int perClass) throws IOException {
        Path root = dir.resolve(name);
        for (String c : CLASSES) {
            Path to = Files.createDirectories(root.resolve(c));
            try (Stream<Path> files = Files.list(FIXTURES.resolve("clean").resolve(c))) {
                for (Path f : files.sorted().limit(perClass == 0 ? Long.MAX_VALUE : perClass).toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        return root;
    }

    @Test
    void convertedImages_andSkippedFiles_areOneWarningLineEach_onStderr() throws IOException {
        Path data = copy("data", 10);
        Path circle = data.resolve("circle");
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY), "png", circle.resolve("gray.png").toFile());
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_INT_ARGB), "png", circle.resolve("rgba.png").toFile());
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_USHORT_GRAY), "png",
                circle.resolve("deep.png").toFile());
        ImageIO.write(new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB), "png", circle.resolve("big.png").toFile());
        Files.writeString(circle.resolve("README.txt"), "not an image");
        PurifyCommandTest.Run run = PurifyCommandTest.purify("--model", FIXTURES.resolve("backdoored_resnet.pt").toString(),
                "--data", "folder:" + data, "--out", dir.resolve("p.pt").toString(), "--method", "ft", "--epochs", "1");
        assertEquals(0, run.code(), run.err());
        List<String> warnings = run.err().lines().filter(l -> l.startsWith("purify: warning: ")).toList();
        assertTrue(warnings.contains("purify: warning: 1 file(s) without an image extension (png, jpg, jpeg, bmp, gif,"
                + " ppm) were skipped"), warnings.toString());
        assertTrue(warnings.contains("purify: warning: 1 of 44 images had an alpha channel, which was dropped (colours"
                + " kept, not composited)"), warnings.toString());
        assertTrue(warnings.contains("purify: warning: 1 of 44 images had more than 8 bits per sample and were reduced"
                + " to 8 bits"), warnings.toString());
        assertTrue(warnings.contains("purify: warning: 2 of 44 images were grayscale and were converted to RGB (the gray"
                + " value in all three channels)"), warnings.toString());
        assertTrue(warnings.contains("purify: warning: 1 of 44 images were resized to 32x32 (area averaging)"),
                warnings.toString());
        assertFalse(run.out().contains("warning"), "warnings go to stderr, not stdout: " + run.out());
    }

    @Test
    void aClassTooSmallToEvaluate_isAWarning() throws IOException {
        Path data = copy("data", 10);
        try (Stream<Path> files = Files.list(data.resolve("vstripes"))) {
            for (Path f : files.sorted().skip(1).toList()) {
                Files.delete(f);
            }
        }
        PurifyCommandTest.Run run = PurifyCommandTest.purify("--model", FIXTURES.resolve("backdoored_resnet.pt").toString(),
                "--data", "folder:" + data, "--out", dir.resolve("p.pt").toString(), "--method", "ft", "--epochs", "1");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("purify: warning: 1 class(es) have no evaluation image and are not evaluated"
                + " (every fifth image of each class of --data is held out for evaluation): [vstripes]"), run.err());
    }

    @Test
    void optionsAndPaths_areCheckedBeforeAnyImageIsDecoded() throws IOException {
        Path data = copy("data", 10);
        Files.write(data.resolve("circle").resolve("broken.png"), new byte[] {1, 2, 3, 4});
        String model = FIXTURES.resolve("backdoored_resnet.pt").toString();
        PurifyCommandTest.Run badOption = PurifyCommandTest.purify("--model", model, "--data", "folder:" + data,
                "--out", dir.resolve("p.pt").toString(), "--epochs", "0");
        assertEquals(2, badOption.code());
        assertTrue(badOption.err().contains("--epochs must be >= 1"), "the option, not the image: " + badOption.err());
        PurifyCommandTest.Run badPath = PurifyCommandTest.purify("--model", model, "--data", "folder:" + data,
                "--out", dir.resolve("missing/p.pt").toString());
        assertTrue(badPath.err().contains("the folder of --out"), "the path, not the image: " + badPath.err());
        PurifyCommandTest.Run badImage = PurifyCommandTest.purify("--model", model, "--data", "folder:" + data,
                "--out", dir.resolve("p.pt").toString());
        assertEquals(2, badImage.code());
        assertTrue(badImage.err().contains("broken.png: not an image ImageIO can decode"), badImage.err());
        assertEquals(1, badImage.err().strip().lines().count(), badImage.err());
    }
}
