package dev.fst.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackdoorLabTest {

    @Test
    void smokeRun_printsBeforeAfterTable_andReusesTheTrainedModel(@TempDir Path dir) throws IOException {
        String[] args = {"--smoke", "--cache", dir.toString()};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BackdoorLab.Report first = BackdoorLab.run(LabOptions.parse(args), new PrintStream(log, true));
        String table = first.table();
        System.out.println(table);
        assertTrue(table.startsWith("| defense | clean accuracy | attack success rate | tuning time |"), table);
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
    void options_badValues_areRefusedWithTheirNames() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--bogus", "1"}));
        assertTrue(unknown.getMessage().contains("unknown option --bogus"), unknown.getMessage());
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--rate", "2"}));
        assertTrue(rate.getMessage().contains("--rate"), rate.getMessage());
        IllegalArgumentException attack = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--attack", "ssba"}));
        assertTrue(attack.getMessage().contains("badnet"), attack.getMessage());
        IllegalArgumentException number = assertThrows(IllegalArgumentException.class,
                () -> LabOptions.parse(new String[] {"--epochs", "ten"}));
        assertTrue(number.getMessage().contains("--epochs needs a number"), number.getMessage());
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
