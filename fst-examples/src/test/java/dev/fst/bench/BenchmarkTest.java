package dev.fst.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkTest {

    @Test
    void smokeGrid_writesCsvJsonMarkdown_thatParseBack_andResumeSkipsFinishedCells(@TempDir Path dir) throws Exception {
        String[] args = {"--retune-check", "--attacks", "badnet", "--rates", "0.1", "--methods", "FT,FST", "--out",
            dir.resolve("results").toString(), "--cache", dir.resolve("cache").toString(), "--data", "synthetic", "--synthetic-train", "700",
            "--synthetic-test", "200", "--train", "500", "--tune", "100", "--epochs", "1", "--tune-epochs", "1"};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<CellResult> first = Benchmark.run(Benchmark.Options.parse(args), new PrintStream(log, true), "test");
        assertEquals(List.of("badnet@0.1/none", "badnet@0.1/FT", "badnet@0.1/FST"),
                first.stream().map(CellResult::key).toList());
        ResultFiles files = new ResultFiles(dir.resolve("results"));
        assertEquals(first, files.read(), "the CSV parses back to the same cells");
        CellResult none = first.get(0);
        assertEquals(200, none.cleanTotal());
        assertTrue(none.attackTotal() > 150 && none.seconds() > 0 && none.machine().contains("cores"), none.toString());
        String json = Files.readString(files.json());
        assertTrue(json.contains("\"cells\": [") && json.contains("\"defense\": \"FST\""), json);
        String md = Files.readString(files.markdown());
        assertTrue(md.contains("| attack | rate | none | FT | FST |"), md);
        assertTrue(md.contains("| badnet | 10% |") && md.contains("| average | |") && md.contains("| std | |"), md);
        assertTrue(log.toString().contains("3 of 3 cells done"), log.toString());
        // robust accuracy for every cell, P-ASR (--retune-check) for the defenses, DER in the summary
        assertTrue(none.robustHits() >= 0 && none.postPurificationTotal() == 0, none.toString());
        CellResult fst = first.get(2);
        assertEquals(fst.attackTotal(), fst.postPurificationTotal(), "P-ASR on the triggered test images");
        assertTrue(fst.robustHits() + fst.attackHits() <= fst.attackTotal(), fst.toString());
        assertTrue(md.contains("Robust accuracy / DER / P-ASR"), md);
        assertTrue(json.contains("\"postPurificationAttackSuccessRate\"") && json.contains("\"robustAccuracy\""), json);

        // a finished grid is skipped entirely
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        List<CellResult> second = Benchmark.run(Benchmark.Options.parse(args), new PrintStream(again, true), "test");
        assertEquals(first, second);
        assertTrue(again.toString().contains("all 3 cells done, skipped"), again.toString());

        // an interrupted grid resumes: only the missing cell runs, the others keep their lines
        List<String> lines = Files.readAllLines(files.csv());
        Files.write(files.csv(), lines.subList(0, lines.size() - 1));
        ByteArrayOutputStream resumed = new ByteArrayOutputStream();
        List<CellResult> third = Benchmark.run(Benchmark.Options.parse(args), new PrintStream(resumed, true), "test");
        assertTrue(resumed.toString().contains("running FST\n") || resumed.toString().contains("running FST" + System.lineSeparator()),
                resumed.toString());
        assertEquals(first.subList(0, 2), third.subList(0, 2), "finished cells are not recomputed");
        assertEquals("badnet@0.1/FST", third.get(2).key());
        assertEquals(first.get(2).attackHits(), third.get(2).attackHits(), "deterministic on the CPU");

        // results of other lab settings are not mixed in
        String[] other = args.clone();
        other[other.length - 1] = "2";
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class, () -> Benchmark.run(
                Benchmark.Options.parse(other), new PrintStream(new ByteArrayOutputStream()), "test"));
        assertTrue(mixed.getMessage().contains("holds results of other lab settings"), mixed.getMessage());
    }

    @Test
    void options_badValues_areRefusedBeforeAnyWork(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> Benchmark.Options.parse(new String[] {"--tier", "huge"}));
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.Options.parse(new String[] {"--rates", "0.1,2"}));
        assertTrue(rate.getMessage().contains("(0, 1]"), rate.getMessage());
        IllegalArgumentException attack = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.Options.parse(new String[] {"--attacks", "badnet,ssba"}));
        assertTrue(attack.getMessage().contains("ssba"), attack.getMessage());
        IllegalArgumentException method = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.Options.parse(new String[] {"--methods", "FT,magic"}));
        assertTrue(method.getMessage().contains("MAGIC"), method.getMessage());
        Benchmark.Options quick = Benchmark.Options.parse(new String[] {"--data", "synthetic", "--epochs", "3"});
        assertEquals(List.of("badnet", "blended", "sig", "wanet"), quick.attacks());
        assertEquals(List.of(0.05, 0.01, 0.005), quick.rates());
        assertTrue(String.join(" ", quick.labArgs()).endsWith("--epochs 10 --data synthetic --epochs 3"), "user options override the tier's");
        assertEquals(List.of("small-cnn"), quick.models());
        assertEquals(Path.of("bench-results", "quick"), quick.out("small-cnn"), "one model: the folder itself");
        assertEquals(List.of("--model", "small-cnn"), quick.labArgs("small-cnn").subList(0, 2));
        Benchmark.Options real = Benchmark.Options.parse(new String[] {"--data", "fashion-mnist:" + dir});
        assertTrue(String.join(" ", real.labArgs()).startsWith("--train 0 --tune 0"),
                "on real data the quick tier trains on everything left after the 2 % tuning set: " + real.labArgs());

        Benchmark.Options paper = Benchmark.Options.parse(new String[] {"--tier", "paper"});
        assertEquals(List.of("resnet18", "vgg19-bn"), paper.models());
        assertEquals(6, paper.attacks().size());
        assertEquals(Path.of("bench-results", "paper", "vgg19-bn"), paper.out("vgg19-bn"), "several: a folder each");
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.Options.parse(new String[] {"--model", "resnet18"}));
        assertTrue(single.getMessage().contains("--models"), single.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.Options.parse(new String[] {"--models", "small-cnn,small-cnn"}));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.Options.parse(new String[] {"--models", "small-cnn,alexnet"}));
        assertTrue(unknown.getMessage().contains("alexnet"), unknown.getMessage());
    }

    @Test
    void csvLine_roundTripsFieldsWithCommasAndQuotes() {
        CellResult cell = new CellResult("badnet", 0.005, "FT+SAM", 1, 10, 20, 3, 18, 12, 4, 18, 1.5, "small-cnn", "cpu()",
                "DJL 0.35.1, PyTorch 2.7.1", "Linux \"x\", 2 cores", "2026-11-22T00:00:00Z", "");
        assertEquals(cell, CellResult.fromCsv(cell.toCsv()));
        assertEquals(0.5, cell.cleanAccuracy());
        assertEquals(12 / 18.0, cell.robustAccuracy());
        assertEquals(4 / 18.0, cell.postPurificationAsr());
        assertFalse(cell.failed());
    }

    @Test
    void failedCell_roundTrips_showsAsFailed_andStaysOutOfTheAverages() {
        CellResult ok = new CellResult("badnet", 0.05, "I-BAU", 1, 80, 100, 10, 90, 70, 0, 0, 2, "small-cnn", "cpu()", "v", "m",
                "t", "");
        CellResult okToo = new CellResult("badnet", 0.01, "I-BAU", 1, 60, 100, 30, 90, 50, 9, 90, 2, "small-cnn", "cpu()", "v",
                "m", "t", "");
        CellResult failed = new CellResult("blended", 0.05, "I-BAU", 1, 0, 0, 0, 0, 0, 0, 0, 1, "small-cnn", "cpu()", "v", "m",
                "t", "I-BAU failed in epoch 1 of 5, batch 2: the loss is NaN, the model was restored");
        assertEquals(failed, CellResult.fromCsv(failed.toCsv()));
        assertTrue(failed.failed());
        String md = ResultFiles.table(List.of(ok, okToo, failed));
        assertTrue(md.contains("| blended | 5% | failed |"), md);
        assertTrue(md.contains("| average | | 70.00 / 22.22 |"), "the failed cell is not averaged in: " + md);
        assertTrue(md.contains("* blended@0.05/I-BAU: I-BAU failed in epoch 1 of 5, batch 2: the loss is NaN"), md);
        // robust accuracy / DER / P-ASR: no none cell here, so no DER; P-ASR only where the attack ran
        assertTrue(md.contains("| badnet | 5% | 77.78 / — / — |"), md);
        assertTrue(md.contains("| badnet | 1% | 55.56 / — / 10.00 |"), md);
    }
}
