package dev.fst.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuickstartDemoTest {

    @Test
    void run_smallSizes_printsBeforeAfterTableWithPurification() {
        List<QuickstartDemo.Row> rows = QuickstartDemo.run(new QuickstartDemo.Options(1200, 400, 200, 10, 1));
        String table = QuickstartDemo.table(rows);
        System.out.println(table);
        assertEquals(List.of("none (backdoored)", "FT", "FST"), rows.stream().map(QuickstartDemo.Row::defense).toList());
        assertTrue(table.startsWith("| defense | clean accuracy | attack success rate |"), table);
        assertTrue(rows.get(0).attackSuccessRate().value() > 0.9, table);
        assertTrue(rows.get(2).attackSuccessRate().value() < 0.2, table);
    }

    @Test
    void options_badValues_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> QuickstartDemo.Options.parse(new String[] {"--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> QuickstartDemo.Options.parse(new String[] {"--epochs", "0"}));
        assertThrows(IllegalArgumentException.class, () -> QuickstartDemo.Options.parse(new String[] {"--train"}));
    }
}
