package dev.fst.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FiguresTest {

    @Test
    void tinyRun_writesEveryFigureAsPngAndCsv(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("figures");
        String[] args = {"--out", out.toString(), "--cache", dir.resolve("cache").toString(), "--data", "synthetic", "--synthetic-train", "700",
            "--synthetic-test", "200", "--train", "500", "--tune", "100", "--epochs", "1", "--tune-epochs", "2",
            "--attack", "badnet", "--rate", "0.1"};
        List<Path> written = Figures.run(args, new PrintStream(new ByteArrayOutputStream()));
        for (String name : List.of("curves-asr.png", "curves-accuracy.png", "projection-asr.png", "alpha.png",
                "alpha-search.png", "size.png", "tsne-before.png", "tsne-after.png")) {
            Path png = out.resolve(name);
            assertTrue(written.contains(png), name);
            assertEquals(720, ImageIO.read(png.toFile()).getWidth(), name + " is a 720-pixel-wide PNG");
        }
        List<String> curves = Files.readAllLines(out.resolve("curves.csv"));
        for (String method : Figures.CURVE_METHODS) {
            long points = curves.stream().filter(l -> l.startsWith(method + ",")).count();
            // NFT keeps its own 20 epochs in the lab; the others run --tune-epochs 2
            assertEquals(method.equals("NFT") ? 21 : 3, points, method + ": epoch 0 and every epoch after");
        }
        assertTrue(curves.get(1).startsWith("FT,0,"), curves.get(1));
        List<String> alpha = Files.readAllLines(out.resolve("alpha.csv"));
        assertEquals(8, alpha.size(), "seven alphas");
        List<String> search = Files.readAllLines(out.resolve("alpha-search.csv"));
        assertTrue(search.size() >= 2 && search.size() <= 4, "one to three alphas tried: " + search);
        assertEquals(1, search.stream().filter(l -> l.endsWith(",true")).count(), "one alpha kept: " + search);
        List<String> tsne = Files.readAllLines(out.resolve("tsne.csv"));
        assertTrue(tsne.stream().anyMatch(l -> l.startsWith("after FST,triggered,")), "both stages, all groups");
        assertEquals(3, Files.readAllLines(out.resolve("size.csv")).size(), "of 1000..50, only 100 and 50 fit in 100 tuning images");
    }

    @Test
    void unknownFigure_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Figures.run(new String[] {"--figures", "umap"}, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("unknown figure 'umap'"), e.getMessage());
    }
}
