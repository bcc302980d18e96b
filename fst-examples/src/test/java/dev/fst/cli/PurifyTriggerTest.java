package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.ImageFolder;
import dev.fst.lab.data.LabeledImages;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's own trigger: poisoned images they bring, or a trigger image stamped or blended in. */
class PurifyTriggerTest {
    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();
    private static final Path MODEL = FIXTURES.resolve("backdoored_resnet.pt");
    private static final String DATA = "folder:" + FIXTURES.resolve("clean");

    /** Writes images as PNG files in class folders under their true classes. */
    private static void write(LabeledImages images, Path dir, int first) throws Exception {
        for (int i = 0; i < images.size(); i++) {
            BufferedImage image = new BufferedImage(images.width(), images.height(), BufferedImage.TYPE_INT_RGB);
            for (int r = 0; r < images.height(); r++) {
                for (int c = 0; c < images.width(); c++) {
                    image.setRGB(c, r, images.value(i, r, c, 0) << 16 | images.value(i, r, c, 1) << 8
                            | images.value(i, r, c, 2));
                }
            }
            Path folder = dir.resolve(images.classNames().get(images.label(i)));
            Files.createDirectories(folder);
            ImageIO.write(image, "png", folder.resolve(String.format("%04d.png", first + i)).toFile());
        }
    }

    private static JsonObject report(Path dir) throws Exception {
        return JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
    }

    @Test
    void poisonedData_measuresTheAttackSuccessRateOnTheUsersImages_leavingOutTheTargetClass(@TempDir Path dir)
            throws Exception {
        LabeledImages clean = ImageFolder.load(FIXTURES.resolve("clean"), 32).test();
        Path poisoned = dir.resolve("poisoned");
        LabeledImages triggered = Attacks.create("badnet", 0, null).triggeredTestSet(clean);
        write(triggered, poisoned, 0);
        LabeledImages targetClass = clean.select(clean.indicesWhereLabel(0, true));
        write(targetClass, poisoned, triggered.size());
        Path out = dir.resolve("out").resolve("p.pt");
        Files.createDirectories(out.getParent());
        PurifyCommandTest.Run run = PurifyCommandTest.purify("--model", MODEL.toString(), "--data", DATA,
                "--eval-data", "folder:" + FIXTURES.resolve("clean"), "--poisoned-data", "folder:" + poisoned,
                "--target", "0", "--out", out.toString(), "--epochs", "1", "--accept-accuracy-loss", "--retune-check");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("purify: --poisoned-data: " + targetClass.size() + " image(s) of the target class 0 ("
                + clean.classNames().get(0) + ") left out; the attack success rate is measured on the other "
                + triggered.size()), run.err());
        JsonObject report = report(out.getParent());
        JsonObject trigger = report.getAsJsonObject("trigger");
        assertEquals(triggered.size(), trigger.get("images").getAsInt(), trigger.toString());
        assertEquals(0, trigger.get("target").getAsInt());
        String before = report.getAsJsonObject("before").get("attackSuccessRate").getAsString();
        assertTrue(before.endsWith("/" + triggered.size() + ")"), "counts in the report: " + before);
        assertTrue(report.getAsJsonObject("before").get("attackSuccessRateValue").getAsDouble() > 0.9,
                "the fixture's backdoor answers its trigger: " + before);
        assertTrue(run.out().contains("| before |"), run.out());
        // robust accuracy, DER and the retuning attack's P-ASR, in the table and the report
        assertTrue(report.getAsJsonObject("before").has("robustAccuracyValue"), report.toString());
        double der = report.get("defenseEffectivenessRating").getAsDouble();
        assertTrue(der >= 0 && der <= 1, "DER in [0, 1]: " + der);
        JsonObject retune = report.getAsJsonObject("retuneCheck");
        double pAsr = retune.get("postPurificationAttackSuccessRateValue").getAsDouble();
        assertTrue(pAsr >= 0 && pAsr <= 1, retune.toString());
        assertTrue(retune.get("postPurificationAttackSuccessRate").getAsString().endsWith("/" + triggered.size() + ")"),
                retune.toString());
        assertTrue(run.out().contains("then retuned with 5 triggered images"), run.out());
        assertTrue(run.out().contains("defense effectiveness rating (DER): "), run.out());
    }

    @Test
    void triggerImage_stampedWhereTheLabsBadNetGoes_measuresWhatTheBuiltInTriggerMeasures(@TempDir Path dir)
            throws Exception {
        Path patch = dir.resolve("patch.png");
        BufferedImage white = new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                white.setRGB(c, r, 0xFFFFFF);
            }
        }
        ImageIO.write(white, "png", patch.toFile());
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.createDirectories(a);
        Files.createDirectories(b);
        String[] common = {"--model", MODEL.toString(), "--data", DATA, "--epochs", "1", "--seed", "3",
            "--accept-accuracy-loss", "--method", "ft"};
        PurifyCommandTest.Run builtIn = PurifyCommandTest.purify(concat(common, "--out", a.resolve("p.pt").toString(),
                "--trigger", "badnet"));
        PurifyCommandTest.Run user = PurifyCommandTest.purify(concat(common, "--out", b.resolve("p.pt").toString(),
                "--trigger-image", patch.toString(), "--trigger-at", "29,29"));
        assertEquals(0, builtIn.code(), builtIn.err());
        assertEquals(0, user.code(), user.err());
        for (String when : new String[] {"before", "after"}) {
            assertEquals(report(a).getAsJsonObject(when).get("attackSuccessRate").getAsString(),
                    report(b).getAsJsonObject(when).get("attackSuccessRate").getAsString(), when);
        }
        assertEquals("[29,29]", report(b).getAsJsonObject("trigger").get("at").toString());

        Path c = dir.resolve("c");
        Files.createDirectories(c);
        PurifyCommandTest.Run blended = PurifyCommandTest.purify(concat(common, "--out", c.resolve("p.pt").toString(),
                "--trigger-image", patch.toString(), "--blend", "0.2"));
        assertEquals(0, blended.code(), blended.err());
        assertEquals(0.2, report(c).getAsJsonObject("trigger").get("blend").getAsDouble());
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    @Test
    void badTriggerInput_isExitCode2_withOneLine_andNothingWritten(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.png");
        ImageIO.write(new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB), "png", big.toFile());
        Path onlyTarget = dir.resolve("only-target");
        LabeledImages clean = ImageFolder.load(FIXTURES.resolve("clean"), 32).test();
        write(clean.select(clean.indicesWhereLabel(0, true)), onlyTarget, 0);
        Files.createDirectories(onlyTarget.resolve("cross")); // an empty class folder is skipped, not an error
        Path out = dir.resolve("o").resolve("p.pt");
        Files.createDirectories(out.getParent());
        String[][] cases = {
            {"--trigger-image", big.toString(), "--trigger-at", "0,0"},
            {"--poisoned-data", "folder:" + onlyTarget, "--target", "0"},
            {"--trigger-at", "1,1"},
            {"--trigger-image", big.toString()},
            {"--trigger", "badnet", "--poisoned-data", "folder:" + onlyTarget},
            {"--trigger-image", big.toString(), "--blend", "1.5"},
        };
        String[] expected = {
            "the trigger image " + big + " is 40x40 pixels; at 0,0 it does not fit inside the 32x32 images",
            "holds only images of the target class 0 (" + clean.classNames().get(0) + ")",
            "--trigger-at needs --trigger-image",
            "--trigger-image needs exactly one of --trigger-at X,Y (a patch) and --blend R",
            "give one of --trigger, --poisoned-data and --trigger-image, not 2",
            "--blend must be in (0, 1] but was 1.5",
        };
        byte[] input = Files.readAllBytes(MODEL);
        for (int i = 0; i < cases.length; i++) {
            PurifyCommandTest.Run run = PurifyCommandTest.purify(concat(new String[] {"--model", MODEL.toString(),
                "--data", DATA, "--out", out.toString(), "--epochs", "1"}, cases[i]));
            assertEquals(2, run.code(), String.join(" ", cases[i]) + ": " + run.err());
            assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
            assertTrue(run.err().contains(expected[i]), run.err());
            assertFalse(Files.exists(out));
            try (var files = Files.list(out.getParent())) {
                assertEquals(0, files.count(), "nothing left behind");
            }
        }
        assertArrayEquals(input, Files.readAllBytes(MODEL));
    }
}
