package dev.fst.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad input of the {@code purify} command ends with exit code 2 and one line on stderr that
 * names the problem, leaves the input model byte-identical and leaves no file behind in the output
 * folder (hidden temporaries and lock files included).
 */
class PurifyBadInputTest {

    private static final Path FIXTURES = Path.of("src/test/resources/cli").toAbsolutePath();
    private static final String DATA = "folder:" + FIXTURES.resolve("clean");

    @TempDir
    static Path dir;

    private static Path model;
    private static Path outDir;

    /** One bad input: the arguments, the folder that must stay as it was, and text the message must hold. */
    record Case(String name, List<String> args, Path watched, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        model = Files.copy(FIXTURES.resolve("backdoored_resnet.pt"), dir.resolve("model.pt"));
        outDir = Files.createDirectories(dir.resolve("out"));
        Files.copy(model, dir.resolve("net.json"));
        Files.writeString(dir.resolve("notes.pt"), "hello");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(dir.resolve("state_dict.pt")))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {1, 2, 3});
            zip.closeEntry();
        }
        Files.createDirectories(dir.resolve("empty"));
        Files.createDirectories(dir.resolve("a-folder.pt"));
        Files.createDirectories(outDir.resolve("taken"));
        Files.writeString(outDir.resolve("existing.pt"), "an earlier output");
        Files.createSymbolicLink(outDir.resolve("link.pt"), model);
        Path five = dir.resolve("five");
        List<String> sources = List.of("circle", "cross", "hstripes", "vstripes", "circle");
        for (int c = 0; c < 5; c++) {
            Path to = Files.createDirectories(five.resolve("class" + c));
            try (Stream<Path> files = Files.list(FIXTURES.resolve("clean").resolve(sources.get(c)))) {
                for (Path f : files.sorted().limit(10).toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        Path other = dir.resolve("other-classes");
        for (String c : List.of("dog", "cat", "cow", "eel")) {
            Path to = Files.createDirectories(other.resolve(c));
            try (Stream<Path> files = Files.list(FIXTURES.resolve("clean").resolve("circle"))) {
                for (Path f : files.sorted().limit(5).toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    static Stream<Case> cases() {
        String m = dir.resolve("model.pt").toString();
        String out = dir.resolve("out").resolve("p.pt").toString();
        Path o = dir.resolve("out");
        Path d = dir;
        List<Case> cases = new ArrayList<>();
        cases.add(c("missing model", o, "does not exist", "--model", d.resolve("missing.pt"), "--data", DATA, "--out", out));
        cases.add(c("model is a folder", o, "is a folder; it needs a TorchScript file", "--model", d.resolve("empty"),
                "--data", DATA, "--out", out));
        cases.add(c("text file as model", o, "is not a TorchScript file", "--model", d.resolve("notes.pt"), "--data",
                DATA, "--out", out));
        cases.add(c("state dict as model", o, "a state_dict saved with torch.save is not enough", "--model",
                d.resolve("state_dict.pt"), "--data", DATA, "--out", out));
        cases.add(c("empty data folder", o, "class sub-folder", "--model", m, "--data", "folder:" + d.resolve("empty"),
                "--out", out));
        cases.add(c("missing data folder", o, "does not exist", "--model", m, "--data", "folder:" + d.resolve("nope"),
                "--out", out));
        cases.add(c("unknown data kind", o, "--data must be folder:DIR, fashion-mnist[:DIR], mnist:DIR, cifar10:DIR or gtsrb:DIR", "--model", m,
                "--data", "imagenet:" + d, "--out", out));
        cases.add(c("more classes than outputs", o, "the data has 5 classes [class0, class1, class2, class3, class4]"
                + " but the model has 4 outputs; give one class folder per output", "--model", m, "--data", "folder:" + d.resolve("five"), "--out",
                out));
        cases.add(c("eval classes differ", o, "--eval-data has classes [cat, cow, dog, eel] but --data has", "--model",
                m, "--data", DATA, "--eval-data", "folder:" + d.resolve("other-classes"), "--out", out));
        cases.add(c("image size does not fit", o, "the model takes 3x32x32 images; the images are 3x16x16 (set --size)",
                "--model", FIXTURES.resolve("fixed_size.pt"), "--data", DATA, "--out", out, "--size", "16"));
        cases.add(c("channels do not fit", o, "the model takes 1x28x28 images (its first convolution conv1.weight has 1"
                + " input channel); the images are 3x32x32", "--model", FIXTURES.resolve("gray28.pt"), "--data", DATA,
                "--out", out, "--channels", "3"));
        cases.add(c("channels option out of range", o, "--channels must be 1 or 3 but was 2", "--model", m, "--data",
                DATA, "--out", out, "--channels", "2"));
        cases.add(c("mean of the wrong length", o, "--mean needs one value for a 1-channel model", "--model", m,
                "--data", DATA, "--out", out, "--channels", "1", "--mean", "0.5,0.5,0.5"));
        cases.add(c("unknown method", o, "--method: unknown method 'magic'; use one of ft, lp, fe-tuning", "--model", m, "--data",
                DATA, "--out", out, "--method", "magic"));
        cases.add(c("retune check without triggered images", o, "--retune-check needs triggered images", "--model", m,
                "--data", DATA, "--out", out, "--retune-check"));
        cases.add(c("unknown spec option", o, "--method: unknown option 'alhpa' of fst; options: ", "--model", m,
                "--data", DATA, "--out", out, "--method", "fst:alhpa=0.1"));
        cases.add(c("bad spec value", o, "--method: option epochs of ft needs an integer but was 'ten'", "--model", m,
                "--data", DATA, "--out", out, "--method", "ft:epochs=ten"));
        cases.add(c("spec value out of range", o, "--method: fst: alpha must be a finite number >= 0 but was -1.0",
                "--model", m, "--data", DATA, "--out", out, "--method", "fst:alpha=-1"));
        cases.add(c("head not found", o, "no head found: no Linear layer is named 'nothing'; candidates: [fc (4x64)]",
                "--model", m, "--data", DATA, "--out", out, "--head", "nothing"));
        cases.add(c("model without a head", o, "Name the head with --head NAME", "--model",
                FIXTURES.resolve("conv_head.pt"), "--data", DATA, "--out", out));
        cases.add(c("blank head", o, "--head needs layer names separated by commas", "--model", m, "--data", DATA,
                "--out", out, "--head", "fc,"));
        cases.add(c("out is the input", d, "is the input model", "--model", m, "--data", DATA, "--out", m, "--force"));
        cases.add(c("out is a link to the input", o, "is the input model", "--model", m, "--data", DATA, "--out",
                o.resolve("link.pt"), "--force"));
        cases.add(c("report would overwrite the input", d, "would overwrite the input model", "--model",
                d.resolve("net.json"), "--data", DATA, "--out", d.resolve("net.pt"), "--force"));
        cases.add(c("out ends in .json", o, "ends in .json, the name of the report", "--model", m, "--data", DATA,
                "--out", o.resolve("r.json")));
        cases.add(c("out is a folder", o, "is a folder; name the file to write the model to", "--model", m, "--data",
                DATA, "--out", o.resolve("taken"), "--force"));
        cases.add(c("out is empty", o, "--out needs a file name", "--model", m, "--data", DATA, "--out="));
        cases.add(c("out folder missing", o, "the folder of --out", "--model", m, "--data", DATA, "--out",
                d.resolve("no/such/dir/p.pt")));
        cases.add(c("out exists", o, "already exists; use --force to replace it", "--model", m, "--data", DATA, "--out",
                o.resolve("existing.pt")));
        cases.add(c("out name too long", o, "past the 255-byte limit of file names", "--model", m, "--data", DATA,
                "--out", o.resolve("a".repeat(252) + ".pt")));
        cases.add(c("unknown trigger", o, "unknown --trigger 'ssba'", "--model", m, "--data", DATA, "--out", out,
                "--trigger", "ssba"));
        cases.add(c("target outside the classes", o, "--target 7 is not one of the 4 classes", "--model", m, "--data",
                DATA, "--out", out, "--trigger", "badnet", "--target", "7"));
        cases.add(c("negative target", o, "--target must be >= 0 but was -1", "--model", m, "--data", DATA, "--out",
                out, "--target", "-1"));
        cases.add(c("size 2000", o, "320 images of 3x2000x2000 need about 46.5 GiB of Java heap", "--model", m, "--data", DATA, "--out", out,
                "--size", "2000"));
        cases.add(c("size 1500", o, "320 images of 3x1500x1500 need about 26.2 GiB of Java heap", "--model", m, "--data", DATA, "--out", out,
                "--size", "1500"));
        cases.add(c("size below range", o, "--size must be in 8..4096 but was 4", "--model", m, "--data", DATA,
                "--out", out, "--size", "4"));
        cases.add(c("zero epochs", o, "--epochs must be >= 1 but was 0", "--model", m, "--data", DATA, "--out", out,
                "--epochs", "0"));
        cases.add(c("zero batch size", o, "--batch-size must be >= 1 but was 0", "--model", m, "--data", DATA, "--out",
                out, "--batch-size", "0"));
        cases.add(c("negative learning rate", o, "--lr must be a finite number > 0 but was -1.0", "--model", m,
                "--data", DATA, "--out", out, "--lr", "-1"));
        cases.add(c("negative alpha", o, "--alpha must be a finite number >= 0 but was -0.5", "--model", m, "--data",
                DATA, "--out", out, "--alpha", "-0.5"));
        cases.add(c("alpha for another method", o, "--alpha applies to --method fst, fst-paper and fst-pam only", "--model", m, "--data",
                DATA, "--out", out, "--method", "ft", "--alpha", "0.1"));
        cases.add(c("two mean values", o, "--mean needs three comma-separated values (R,G,B) for a 3-channel model",
                "--model", m, "--data", DATA, "--out", out, "--mean", "0.5,0.5"));
        cases.add(c("gpu without one", o, "--device gpu: this build sees no GPU", "--model", m, "--data", DATA, "--out",
                out, "--device", "gpu"));
        cases.add(c("unknown device", o, "unknown --device 'tpu'; use cpu, gpu or gpu:N", "--model", m, "--data", DATA,
                "--out", out, "--device", "tpu"));
        cases.add(c("unknown option", o, "Unknown option: '--frobnicate' (see purify --help)", "--model", m, "--data",
                DATA, "--out", out, "--frobnicate"));
        cases.add(c("missing options", o, "Missing required option", "--model", m));
        cases.add(c("unparsable number", o, "Invalid value for option '--epochs': 'ten' is not an int", "--model", m,
                "--data", DATA, "--out", out, "--epochs", "ten"));
        return cases.stream();
    }

    private static Case c(String name, Path watched, String expected, Object... args) {
        List<String> list = new ArrayList<>();
        for (Object a : args) {
            list.add(a.toString());
        }
        return new Case(name, list, watched, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInput_exitsWithTwo_oneLineNamingTheProblem_inputUntouched_nothingLeftBehind(Case c) throws IOException {
        byte[] input = Files.readAllBytes(model);
        List<String> before = listing(c.watched());
        PurifyCommandTest.Run run = purify(c.args());
        assertEquals(2, run.code(), c + ": " + run.err());
        assertTrue(run.err().startsWith("purify: ") && run.err().contains(c.expected()),
                c + ": expected '" + c.expected() + "' in: " + run.err());
        assertEquals(1, run.err().strip().lines().count(), c + ": one line on stderr: " + run.err());
        assertArrayEquals(input, Files.readAllBytes(model), c + ": the input model is byte-identical");
        assertEquals(before, listing(c.watched()), c + ": no file is left behind");
    }

    /**
     * Runs the command on the arguments: in this JVM here, through the packaged launcher in {@link
     * PurifyBadInputIT}.
     */
    PurifyCommandTest.Run purify(List<String> args) throws IOException {
        return PurifyCommandTest.purify(args.toArray(String[]::new));
    }

    private static List<String> listing(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
