package dev.fst.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceSummaryTest {

    @Test
    void selfTimes_subtractNestedOperators_andOutsideTimeIsTheGaps(@TempDir Path dir) throws Exception {
        // conv 0..10 ms calls mkldnn 1..9 ms; relu 13..14.5 ms (args hold braces); 3 ms idle between
        Path java = dir.resolve("java.json");
        Files.writeString(java, "[\n"
                + "{\"name\": \"aten::conv2d\", \"ph\": \"X\", \"ts\": 0, \"dur\": 10000, \"tid\": 1, \"args\": {}},\n"
                + "{\"name\": \"aten::mkldnn_convolution\", \"ph\": \"X\", \"ts\": 1000, \"dur\": 8000, \"tid\": 1,"
                + " \"args\": {\"x\": \"{\"}},\n"
                + "{\"name\": \"aten::relu\", \"ph\": \"X\", \"ts\": 13000, \"dur\": 1500, \"tid\": 1},\n"
                + "{\"name\": \"meta\", \"ph\": \"M\", \"ts\": 0, \"tid\": 1}\n]");
        Path python = dir.resolve("python.json");
        Files.writeString(python, "{\"traceEvents\": [{\"name\": \"aten::relu\", \"ph\": \"X\", \"ts\": 5.5, \"dur\": 10,"
                + " \"tid\": \"7\"}], \"other\": {\"ph\": \"X\"}}");
        TraceSummary.Profile p = TraceSummary.read(java);
        assertEquals(2000.0, p.selfMicros().get("aten::conv2d"));
        assertEquals(8000.0, p.selfMicros().get("aten::mkldnn_convolution"));
        assertEquals(14500.0, p.spanMicros());
        assertEquals(3000.0, p.outsideMicros());
        TraceSummary.Profile q = TraceSummary.read(python);
        assertEquals(10.0, q.selfMicros().get("aten::relu"));
        String md = TraceSummary.format(2, List.of("java", "pytorch"), List.of(p, q), 2);
        assertTrue(md.contains("| aten::mkldnn_convolution | 4.0 | 0.0 |"), md);
        assertTrue(md.contains("| aten::conv2d | 1.0 | 0.0 |"), md);
        assertTrue(!md.contains("aten::relu"), "only the top 2: " + md);
        assertTrue(md.contains("| *all operators* | 5.8 | 0.0 |"), md);
        assertTrue(md.contains("| *outside any operator* | 1.5 | 0.0 |"), md);
        Files.writeString(dir.resolve("empty.json"), "[]");
        assertThrows(IllegalArgumentException.class, () -> TraceSummary.read(dir.resolve("empty.json")));
    }
}
