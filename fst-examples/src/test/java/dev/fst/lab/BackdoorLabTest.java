package dev.fst.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackdoorLabTest {

    @Test
    void smokeRun_printsBeforeAfterTable_andReusesTheTrainedModel(@TempDir Path dir) throws IOException {
        String[] args = {"--smoke", "--data", "synthetic", "--cache", dir.toString()};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BackdoorLab.Report first = BackdoorLab.run(LabOptions.parse(args), new PrintStream(log, true));
        String table = first.table();
        System.out.println(table);
        assertTrue(table.startsWith("| defense | clean accuracy | attack success rate | robust accuracy | DER | P-ASR |"), table);
        assertEquals(3, first.rows().size());
        assertTrue(table.contains("| none (backdoored) |") && table.contains("| FT |") && table.contains("| FST |"), table);
        assertFalse(first.reused());
        assertTrue(log.toString().contains("training small-cnn on 2200 images"), log.toString());
        assertEquals(22, first.backdoor().poisoned());

        BackdoorLab.Report second = BackdoorLab.run(LabOptions.parse(args), new PrintStream(new ByteArrayOutputStream()));
        assertTrue(second.reused());
        assertEquals(first.rows().get(0), second.rows().get(0), "the reused model is the same model");
    }

    @Test
    void smokeRun_everyDefense_runsFromTheSameInterface_andReportsCleanAccuracyAndAsr(@TempDir Path dir)
            throws IOException {
        String[] args = {"--smoke", "--data", "synthetic", "--synthetic-train", "700", "--synthetic-test", "200", "--train", "500",
            "--tune", "100", "--epochs", "1", "--cache", dir.toString(), "--methods", "all", "--tune-epochs", "2"};
        BackdoorLab.Report report = BackdoorLab.run(LabOptions.parse(args), new PrintStream(new ByteArrayOutputStream()));
        System.out.println(report.table());
        assertEquals(1 + LabMethods.NAMES.size(), report.rows().size());
        for (int i = 0; i < LabMethods.NAMES.size(); i++) {
            BackdoorLab.Row row = report.rows().get(i + 1);
            assertEquals(LabMethods.NAMES.get(i), row.method());
            assertEquals(200, row.cleanAccuracy().total(), "clean accuracy over the whole test set");
            assertTrue(row.attackSuccessRate().total() > 150, "ASR over the triggered non-target test images");
            assertTrue(row.seconds() > 0);
        }
    }

    @Test
    void retuneCheck_andReferenceRows_reportRobustAccuracyDerAndPostPurificationAsr(@TempDir Path dir)
            throws IOException {
        String[] args = {"--smoke", "--data", "synthetic", "--synthetic-train", "700", "--synthetic-test", "200",
            "--train", "500", "--tune", "100", "--epochs", "1", "--cache", dir.toString(), "--methods", "FST,PAM,FST+PAM",
            "--tune-epochs", "1", "--retune-check", "--reference-rows"};
        BackdoorLab.Report report = BackdoorLab.run(LabOptions.parse(args), new PrintStream(new ByteArrayOutputStream()));
        List<String> names = report.rows().stream().map(BackdoorLab.Row::method).toList();
        assertEquals(List.of("none (backdoored)", "FST", "PAM", "FST+PAM", "clean model (floor)", "exact purification"),
                names);
        assertEquals(null, report.rows().get(0).postPurificationAsr(), "the backdoored model is not retuned");
        for (BackdoorLab.Row row : report.rows().subList(1, 6)) {
            assertTrue(row.postPurificationAsr().total() == row.attackSuccessRate().total(), row.toString());
            assertTrue(row.robustAccuracy().hits() + row.attackSuccessRate().hits() <= row.attackSuccessRate().total(),
                    row.toString());
        }
        String table = report.table();
        assertTrue(table.startsWith("| defense | clean accuracy | attack success rate | robust accuracy | DER | P-ASR |"),
                table);
        assertTrue(table.contains("| none (backdoored) |") && table.contains("| — | — |"), table);
    }

    @Test
    void failingDefense_isReportedAsARow_andTheOthersStillRun(@TempDir Path dir) throws IOException {
        // a tuning rate of 1e36 overflows the activations (BatchNorm variances of 1e70) to a NaN loss
        String[] args = {"--smoke", "--data", "synthetic", "--synthetic-train", "700", "--synthetic-test", "200", "--train", "500",
            "--tune", "100", "--epochs", "1", "--cache", dir.toString(), "--methods", "FT,FST",
            "--tune-epochs", "2", "--tune-lr", "1e36"};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BackdoorLab.Report report = BackdoorLab.run(LabOptions.parse(args), new PrintStream(log, true));
        assertEquals(3, report.rows().size(), "both methods have a row");
        for (BackdoorLab.Row row : report.rows().subList(1, 3)) {
            assertTrue(row.failed(), row.toString());
            assertTrue(row.failure().contains("restored"), row.failure());
        }
        assertTrue(report.table().contains("| FT | failed: FT failed in epoch"), report.table());
        assertTrue(log.toString().contains("FST failed: "), log.toString());
    }

    @Test
    void smokeRun_onATinyIdxDataset_printsTheTable_andTwoRunsPrintTheSameNumbers(@TempDir Path dir)
            throws IOException {
        Path data = java.nio.file.Files.createDirectories(dir.resolve("idx"));
        dev.fst.lab.data.IdxFixtures.write(data, 1000, 200, 5);
        List<List<Object>> tables = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            String[] args = {"--smoke", "--data", "fashion-mnist:" + data, "--cache", dir.resolve("cache" + run).toString(),
                "--train", "0", "--epochs", "2", "--tune-epochs", "2"};
            LabOptions options = LabOptions.parse(args);
            assertEquals("badnet", options.attack(), "the main job's attack on real data");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            BackdoorLab.Report report = BackdoorLab.run(options, new PrintStream(log, true));
            assertTrue(log.toString().contains("tuning set (held out, clean) 20 images"), "2 % of 1,000: " + log);
            String table = report.table();
            assertTrue(table.contains("| none (backdoored) |") && table.contains("| FT |") && table.contains("| FST |"),
                    table);
            List<Object> numbers = new java.util.ArrayList<>();
            for (BackdoorLab.Row row : report.rows()) {
                numbers.add(row.method() + " " + row.cleanAccuracy() + " " + row.attackSuccessRate());
            }
            tables.add(numbers);
        }
        assertEquals(tables.get(0), tables.get(1), "same seed, same machine, same threads: the same numbers");
    }

    @Test
    void autoData_fallsBackToTheSyntheticImages_withABanner_whenFashionMnistIsMissing(@TempDir Path dir) {
        LabOptions options = LabOptions.parse(new String[0]);
        boolean installed = java.nio.file.Files.isDirectory(dev.fst.lab.data.IdxDataset.FASHION_MNIST_DIR);
        assertEquals(installed ? "fashion-mnist" : "synthetic", options.data());
        assertEquals(!installed, options.syntheticFallback());
        assertEquals(installed ? "badnet" : "badnet-grid", options.attack());
        LabOptions synthetic = LabOptions.parse(new String[] {"--data", "synthetic"});
        assertFalse(synthetic.syntheticFallback(), "asked for, not fallen back to");
        assertEquals(null, synthetic.alpha(), "FST chooses alpha on held-out clean data");
        assertEquals(0.02, synthetic.tuneLearningRate());
        assertEquals(0.05, LabOptions.parse(new String[] {"--data", "fashion-mnist:" + dir, "--alpha", "0.05"}).alpha());
        assertTrue(BackdoorLab.SYNTHETIC_BANNER.contains("apt-get install dataset-fashion-mnist"));
    }

    @Test
    void methods_parseNamesInAnyCase_andAll() {
        assertEquals(List.of("FT", "FST"), LabOptions.defaults().methods());
        assertEquals(LabMethods.NAMES, LabOptions.parse(new String[] {"--methods", "all"}).methods());
        assertEquals(List.of("LP", "FT+SAM"), LabOptions.parse(new String[] {"--methods", "lp, ft+sam"}).methods());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--methods", "FT,magic"}));
        assertTrue(e.getMessage().contains("unknown method 'MAGIC'"), e.getMessage());
    }

    @Test
    void options_badValues_areRefusedWithTheirNames() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--bogus", "1"}));
        assertTrue(unknown.getMessage().contains("Unknown options: '--bogus'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("--tune-epochs=N"), "with the usage: " + unknown.getMessage());
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--rate", "2"}));
        assertTrue(rate.getMessage().contains("--rate"), rate.getMessage());
        IllegalArgumentException attack = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--attack", "ssba"}));
        assertTrue(attack.getMessage().contains("badnet"), attack.getMessage());
        IllegalArgumentException number = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--epochs", "ten"}));
        assertTrue(number.getMessage().contains("Invalid value for option '--epochs': 'ten' is not an int"),
                number.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LabOptions.parse(new String[] {"--train"}));
        assertEquals(0.01, LabOptions.parse(new String[] {"--attack", "wanet"}).learningRate());
        assertEquals(0.1, LabOptions.defaults().learningRate());
    }

    @Test
    void missingDataDirectory_namesTheFolderAndTheExpectedFiles(@TempDir Path dir) {
        String[] args = {"--data", "cifar10:" + dir.resolve("nothing"), "--cache", dir.toString()};
        IOException e = assertThrows(IOException.class, () -> BackdoorLab.run(LabOptions.parse(args),
                new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("nothing") && e.getMessage().contains("data_batch_1.bin"), e.getMessage());
    }
}
