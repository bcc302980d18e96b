package dev.fst.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.fst.FeatureShiftTuner;
import dev.fst.testing.Snapshots;
import dev.fst.testing.SyntheticImages;
import dev.fst.testing.TestModels;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

    private static final Path TINY = TestModels.fixtures().resolve("tiny_cnn.pt");

    @Test
    void torchScript_tunedModel_savesAndReloadsWithIdenticalOutputs(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("purified.pt");
        try (Model model = TorchScriptModels.load(TINY, Device.cpu());
                NDManager data = NDManager.newBaseManager("PyTorch")) {
            FeatureShiftTuner.builder().epochs(1).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(32, 4, 8, 3).dataset(data));
            TorchScriptModels.save(model, out, false);
            NDArray x = data.randomUniform(0, 1, new Shape(6, 3, 8, 8));
            float[] tuned = logits(model, x);
            try (Model reloaded = TorchScriptModels.load(out, Device.cpu())) {
                assertArrayEquals(tuned, logits(reloaded, x), "plain TorchScript file, same outputs");
                assertEquals(Snapshots.parameters(model).keySet(), Snapshots.parameters(reloaded).keySet());
            }
            IOException exists = assertThrows(IOException.class, () -> TorchScriptModels.save(model, out, false));
            assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
            TorchScriptModels.save(model, out, true);
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void save_givesTheFileTheUmasksPermissions_andLeavesNoTemporary(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("saved.pt");
        try (Model model = TorchScriptModels.load(TINY, Device.cpu())) {
            TorchScriptModels.save(model, out, false);
        }
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(out),
                "an ordinary new file's permissions, not owner-only ones");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "only the saved file and the reference file");
        }
    }

    @Test
    void torchScript_badFiles_areRefusedWithTheirNames(@TempDir Path dir) throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptModels.load(dir.resolve("nope.pt"), Device.cpu()));
        assertTrue(missing.getMessage().contains("nope.pt does not exist"), missing.getMessage());

        Path text = Files.writeString(dir.resolve("text.pt"), "not a model");
        IllegalArgumentException notZip = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptModels.load(text, Device.cpu()));
        assertTrue(notZip.getMessage().contains("is not a TorchScript file"), notZip.getMessage());

        Path stateDict = dir.resolve("state.pt");
        try (OutputStream out = Files.newOutputStream(stateDict); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {1, 2, 3});
            zip.closeEntry();
        }
        IllegalArgumentException weights = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptModels.load(stateDict, Device.cpu()));
        assertTrue(weights.getMessage().contains("state_dict"), weights.getMessage());
    }

    @Test
    void torchScript_scriptedWithBatchNorm_isAffectedByTrainingMode() {
        assertTrue(TorchScriptModels.trainingModeHasEffect(TINY, new Shape(3, 8, 8)));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptModels.trainingModeHasEffect(TINY, new Shape(1, 8, 8)));
        assertTrue(shape.getMessage().contains("do not fit"), shape.getMessage());
    }

    @Test
    void native_savesAndLoadsParametersAndMetadata(@TempDir Path dir) throws IOException {
        Map<String, float[]> saved;
        try (Model model = TestModels.cnn(4, 8, 3); NDManager data = NDManager.newBaseManager("PyTorch")) {
            FeatureShiftTuner.builder().epochs(1).batchSize(16).build()
                    .purify(model, SyntheticImages.generate(32, 4, 8, 3).dataset(data));
            saved = Snapshots.parameters(model);
            NativeModels.save(model, dir, "cnn", Map.of("method", "FST", "alpha", "0.2"));
        }
        try (Model fresh = TestModels.cnn(4, 8, 99)) {
            NativeModels.Loaded loaded = NativeModels.load(fresh.getBlock(), dir, "cnn", Device.cpu());
            try (Model model = loaded.model()) {
                Map<String, float[]> back = Snapshots.parameters(model);
                assertEquals(java.util.List.of(), Snapshots.changed(saved, back), "BatchNorm statistics included");
                assertEquals(Map.of("alpha", "0.2", "method", "FST"), loaded.metadata());
            }
        }
        try (Model other = TestModels.cnn(4, 8, 1)) {
            IOException missing = assertThrows(IOException.class,
                    () -> NativeModels.load(other.getBlock(), dir, "other", Device.cpu()));
            assertTrue(missing.getMessage().contains("other.params"), missing.getMessage());
        }
    }

    private static float[] logits(Model model, NDArray x) {
        return model.getBlock().forward(new ParameterStore(x.getManager(), false), new NDList(x), false)
                .singletonOrThrow().toFloatArray();
    }
}
