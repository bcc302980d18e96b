package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.baselines.Methods;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every method the command advertises purifies the committed TorchScript fixture end to end. */
class PurifyMethodsTest {

    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();

    static Stream<String> methods() {
        return PurifyCommand.METHODS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void everyMethod_purifiesTheTorchScriptFixture_andWritesModelAndReport(String method, @TempDir Path dir)
            throws Exception {
        Path out = dir.resolve("p.pt");
        PurifyCommandTest.Run run = PurifyCommandTest.purify("--model",
                FIXTURES.resolve("backdoored_resnet.pt").toString(), "--data", "folder:" + FIXTURES.resolve("clean"),
                "--out", out.toString(), "--method", method, "--epochs", "1", "--trigger", "badnet",
                // one epoch on the fixture's few images is about the methods working, not about accuracy
                "--accept-accuracy-loss");
        assertEquals(0, run.code(), method + ": " + run.err());
        assertTrue(Files.size(out) > 0, method + ": model written");
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
        assertEquals(Methods.parse(method).name(), report.get("method").getAsString(), report.toString());
        assertEquals(method, report.get("spec").getAsString(), report.toString());
        assertTrue(report.getAsJsonObject("after").has("attackSuccessRateValue"), report.toString());
        assertEquals(720, javax.imageio.ImageIO.read(dir.resolve("p-epochs.png").toFile()).getWidth(),
                method + ": the per-epoch chart");
        assertTrue(report.getAsJsonArray("perEpoch").size() >= 2, method + ": " + report.get("perEpoch"));
        assertTrue(report.getAsJsonArray("perEpoch").get(0).getAsJsonObject().has("attackSuccessRate"));
    }
}
