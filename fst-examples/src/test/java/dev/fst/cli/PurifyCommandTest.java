package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.fst.eval.Evaluator;
import dev.fst.io.TorchScriptModels;
import dev.fst.lab.attack.Attacks;
import dev.fst.lab.data.ImageFolder;
import dev.fst.lab.data.LabData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PurifyCommandTest {

    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();
    private static final Path MODEL = FIXTURES.resolve("backdoored_resnet.pt");
    private static final String DATA = "folder:" + FIXTURES.resolve("clean");

    /** One run of the command: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {}

    static Run purify(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PurifyCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void purify_lowersTheAttackSuccessRate_andWritesAModelDjlReloadsAndAReport(@TempDir Path dir) throws Exception {
        byte[] input = Files.readAllBytes(MODEL);
        Path out = dir.resolve("purified.pt");
        Run run = purify("--model", MODEL.toString(), "--data", DATA, "--out", out.toString(),
                "--trigger", "badnet", "--target", "0", "--epochs", "10", "--lr", "0.01", "--seed", "1");
        System.out.println(run.out());
        assertEquals(0, run.code(), run.err());
        assertArrayEquals(input, Files.readAllBytes(MODEL), "the input model is never written");
        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("purified.json"))).getAsJsonObject();
        double asrBefore = json.getAsJsonObject("before").get("attackSuccessRateValue").getAsDouble();
        double asrAfter = json.getAsJsonObject("after").get("attackSuccessRateValue").getAsDouble();
        double cleanAfter = json.getAsJsonObject("after").get("cleanAccuracyValue").getAsDouble();
        assertTrue(asrBefore > 0.9, "the fixture is backdoored: ASR " + asrBefore);
        assertTrue(asrAfter < asrBefore - 0.5, "FST lowers the ASR: " + asrBefore + " -> " + asrAfter);
        assertEquals("[0.4914,0.4822,0.4465]", json.getAsJsonObject("preprocessing").get("mean").toString(),
                "preprocessing recorded: " + json);
        assertTrue(run.out().contains("| after FST |"), run.out());

        // the written file is plain TorchScript: DJL reloads it and measures what the report says
        Preprocessing preprocessing = new Preprocessing(Preprocessing.CIFAR_MEAN, Preprocessing.CIFAR_STD, 3, 32);
        LabData data = ImageFolder.load(FIXTURES.resolve("clean"), 32);
        try (Model reloaded = TorchScriptModels.load(out, Device.cpu());
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            assertEquals(cleanAfter, Evaluator.accuracy(reloaded, preprocessing.toDataset(data.test(), manager)).value(),
                    1e-12);
            assertEquals(asrAfter, Evaluator.attackSuccessRate(reloaded, preprocessing.toDataset(
                    Attacks.create("badnet", 0, null).triggeredTestSet(data.test()), manager), 0).value(), 1e-12);
        }
        comparePyTorchLogits(out);
        Run again = purify("--model", MODEL.toString(), "--data", DATA, "--out", out.toString(), "--epochs", "1");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists; use --force"), again.err());
    }

    @Test
    void grayscaleModel_takesItsChannelsAndSizeFromTheModel_andPurifiesEndToEnd(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("gray.pt");
        Run run = purify("--model", FIXTURES.resolve("gray28.pt").toString(), "--data", DATA, "--out", out.toString(),
                "--epochs", "2", "--trigger", "badnet");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("purify: warning: 320 of 320 images were RGB and were converted to grayscale"),
                run.err());
        assertTrue(run.err().contains("purify: warning: 320 of 320 images were resized to 28x28"), run.err());
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("gray.json"))).getAsJsonObject();
        JsonObject pre = report.getAsJsonObject("preprocessing");
        assertEquals(1, pre.get("channels").getAsInt());
        assertEquals(28, pre.get("size").getAsInt());
        assertEquals("[0.286]", pre.get("mean").toString(), "Fashion-MNIST's statistics for a grayscale model");
        try (Model reloaded = TorchScriptModels.load(out, Device.cpu())) {
            assertEquals(new ai.djl.ndarray.types.Shape(1, 4), new ModelInput(reloaded).outputShape(1, 28));
        }
        Run rgb = purify("--model", FIXTURES.resolve("gray28.pt").toString(), "--data", DATA, "--out",
                dir.resolve("x.pt").toString(), "--channels", "3", "--epochs", "1");
        assertEquals(2, rgb.code());
        assertTrue(rgb.err().contains("the model takes 1x28x28 images"), rgb.err());
    }

    @Test
    void modelTracedInEvalMode_isTunedWithAWarning(@TempDir Path dir) {
        Run run = purify("--model", FIXTURES.resolve("traced_eval.pt").toString(), "--data", DATA,
                "--out", dir.resolve("p.pt").toString(), "--epochs", "1", "--method", "ft", "--accept-accuracy-loss");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("purify: warning: training mode does not change the model's outputs"),
                run.err());
        assertTrue(!run.out().contains("warning"), "warnings go to stderr: " + run.out());
    }

    /** When Debian's python3-torch is present, PyTorch loads the output and agrees with DJL on its logits. */
    private static void comparePyTorchLogits(Path out) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        boolean torch = Files.isExecutable(python)
                && new ProcessBuilder(python.toString(), "-c", "import torch").start().waitFor() == 0;
        if (!torch) {
            System.out.println("python3-torch not installed: PyTorch comparison skipped");
            return;
        }
        String script = "import sys, torch\n"
                + "m = torch.jit.load(sys.argv[1]).eval()\n"
                + "x = torch.linspace(-1, 1, 2 * 3 * 32 * 32).reshape(2, 3, 32, 32)\n"
                + "print(' '.join('%.8e' % v for v in m(x).detach().flatten().tolist()))\n";
        Process p = new ProcessBuilder(python.toString(), "-c", script, out.toString()).redirectErrorStream(true).start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), printed);
        String[] parts = printed.split(" ");
        try (Model reloaded = TorchScriptModels.load(out, Device.cpu());
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ai.djl.ndarray.NDArray x = manager.linspace(-1f, 1f, 2 * 3 * 32 * 32).reshape(2, 3, 32, 32);
            float[] djl = reloaded.getBlock().forward(new ai.djl.training.ParameterStore(manager, false),
                    new ai.djl.ndarray.NDList(x), false).singletonOrThrow().toFloatArray();
            assertEquals(djl.length, parts.length, printed);
            for (int i = 0; i < djl.length; i++) {
                assertEquals(Double.parseDouble(parts[i]), djl[i], 1e-5, "logit " + i);
            }
        }
    }

}
