package dev.fst.lab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import dev.fst.lab.model.Architecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

    private static List<float[]> weights(Model model) {
        List<float[]> out = new ArrayList<>();
        model.getBlock().getParameters().values().forEach(p -> out.add(p.getArray().toFloatArray()));
        return out;
    }

    @Test
    void saveFindLoad_roundTripsWeightsAndMetadata(@TempDir Path dir) {
        ModelStore store = new ModelStore(dir);
        String key = ModelStore.key("small-cnn|test");
        assertEquals(16, key.length());
        assertNotEquals(key, ModelStore.key("small-cnn|test2"));
        assertTrue(store.find(key).isEmpty());
        BackdoorRecord record = new BackdoorRecord(key, "small-cnn", "synthetic", "badnet", 0.01, 0, 100, 1, 2, 0.1, 7,
                0.5, 0.9, 3.5, Instant.parse("2026-11-22T10:00:00Z"), "DJL test");
        try (Model model = Architecture.SMALL_CNN.newModel(4, 32, 3)) {
            store.save(model, record);
            assertEquals(record, store.find(key).orElseThrow());
            try (Model loaded = store.load(record, 4, 32, null); Model other = Architecture.SMALL_CNN.newModel(4, 32, 4)) {
                List<float[]> expected = weights(model);
                List<float[]> actual = weights(loaded);
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), actual.get(i));
                }
                assertNotEquals(expected.get(0)[0], weights(other).get(0)[0], "a fresh model differs");
            }
        }
    }

    @Test
    void find_incompleteSave_isNotFound(@TempDir Path dir) throws Exception {
        ModelStore store = new ModelStore(dir);
        Files.createDirectories(dir.resolve("abc"));
        Files.writeString(dir.resolve("abc/metadata.properties"), "key=abc\n");
        assertTrue(store.find("abc").isEmpty(), "no weights, no model");
    }
}
