package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accuracy guard and the automatic alpha, as the {@code purify} command's user sees them. */
class PurifyGuardTest {
    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();
    private static final Path MODEL = FIXTURES.resolve("backdoored_resnet.pt");
    private static final String DATA = "folder:" + FIXTURES.resolve("clean");

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aRunThatDestroysAccuracy_exitsWith3_writesOnlyTheReport_andSaysWhy(@TempDir Path dir) throws Exception {
        byte[] input = Files.readAllBytes(MODEL);
        Path out = dir.resolve("p.pt");
        // a penalty 500 times the paper's at a large rate wrecks the head
        String[] destroy = {"--model", MODEL.toString(), "--data", DATA, "--out", out.toString(), "--alpha", "100",
            "--lr", "0.5", "--epochs", "2"};
        PurifyCommandTest.Run run = PurifyCommandTest.purify(destroy);
        assertEquals(PurifyCommand.EXIT_OVER_BUDGET, run.code(), run.err());
        assertEquals(3, PurifyCommand.EXIT_OVER_BUDGET);
        assertFalse(Files.exists(out), "no model is written");
        assertEquals(List.of("p.json"), files(dir), "only the report, and nothing left behind");
        assertArrayEquals(input, Files.readAllBytes(MODEL), "the input model is never written");
        assertTrue(run.err().contains("purify: model not written: held-out accuracy dropped by"), run.err());
        assertTrue(run.err().contains("--accept-accuracy-loss"), run.err());
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
        assertTrue(report.get("outcome").getAsString().startsWith("model not written"), report.toString());
        JsonObject guard = report.getAsJsonObject("accuracyGuard");
        assertFalse(guard.get("withinBudget").getAsBoolean(), guard.toString());
        assertTrue(guard.get("dropPoints").getAsDouble() > guard.get("budgetPoints").getAsDouble(), guard.toString());
        assertEquals(3.0, guard.get("budgetPoints").getAsDouble(), "the default budget");
        int tuning = report.get("tuningImages").getAsInt();
        assertEquals(Math.round(tuning * 0.2), guard.get("heldOutImages").getAsInt(), 4,
                "a fifth of the tuning images, class-balanced (rounded up per class)");

        PurifyCommandTest.Run accepted = PurifyCommandTest.purify(Stream.concat(Stream.of(destroy),
                Stream.of("--accept-accuracy-loss", "--force")).toArray(String[]::new));
        assertEquals(0, accepted.code(), accepted.err());
        assertTrue(Files.size(out) > 0, "written when the loss is accepted");
        JsonObject acceptedReport = JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
        assertEquals("model written", acceptedReport.get("outcome").getAsString());
        assertFalse(acceptedReport.getAsJsonObject("accuracyGuard").get("withinBudget").getAsBoolean());
    }

    @Test
    void defaultFst_choosesAlphaOnHeldOutData_recordsTheSearch_andDrawsIt(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("p.pt");
        PurifyCommandTest.Run run = PurifyCommandTest.purify("--model", MODEL.toString(), "--data", DATA, "--out",
                out.toString(), "--epochs", "2", "--budget", "100");
        assertEquals(0, run.code(), run.err());
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
        JsonObject search = report.getAsJsonObject("alphaSearch");
        JsonArray trials = search.getAsJsonArray("tried");
        assertEquals(1, trials.size(), "the largest alpha stays within a budget of 100 points: one run");
        assertEquals(16.0, trials.get(0).getAsJsonObject().get("alpha").getAsDouble());
        assertEquals(16.0, search.get("chosen").getAsDouble(), search.toString());
        assertEquals("cosine", search.get("scale").getAsString());
        assertTrue(search.get("withinBudget").getAsBoolean(), search.toString());
        assertTrue(run.out().contains("alpha: alpha 16.0: held-out"), run.out());
        Path chart = dir.resolve("p" + PurifyCommand.ALPHA_CHART);
        assertEquals(720, ImageIO.read(chart.toFile()).getWidth(), "the alpha chart is written next to the model");
        assertEquals(List.of("p-alpha.png", "p-epochs.png", "p.json", "p.pt"), files(dir));
        JsonArray perEpoch = report.getAsJsonArray("perEpoch");
        assertEquals(3, perEpoch.size(), "epoch 0 and the two epochs of the kept run: " + perEpoch);
    }

    @Test
    void badGuardOptions_areRefusedByName() {
        PurifyCommandTest.Run budget = PurifyCommandTest.purify("--model", MODEL.toString(), "--data", DATA, "--out",
                "x.pt", "--budget", "0");
        assertEquals(2, budget.code());
        assertTrue(budget.err().contains("--budget must be in (0, 100] percentage points but was 0.0"), budget.err());
        PurifyCommandTest.Run heldOut = PurifyCommandTest.purify("--model", MODEL.toString(), "--data", DATA, "--out",
                "x.pt", "--held-out", "0.9");
        assertEquals(2, heldOut.code());
        assertTrue(heldOut.err().contains("--held-out must be in [0, 0.5] but was 0.9"), heldOut.err());
    }
}
