package dev.fst.bench;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One measured cell of the grid: a defense applied to the model backdoored by one attack at one
 * poisoning rate (defense {@code none} is the backdoored model itself).
 *
 * @param attack the attack's lab name
 * @param rate the poisoning rate
 * @param method the method's name as in the paper's tables, or {@code none}
 * @param seed the lab's seed
 * @param cleanHits correctly classified clean test images
 * @param cleanTotal clean test images
 * @param attackHits triggered non-target test images classified as the target
 * @param attackTotal triggered non-target test images
 * @param robustHits triggered non-target test images classified as their true class (robust accuracy)
 * @param postPurificationHits triggered images classified as the target after the retuning attack
 * @param postPurificationTotal the images of that P-ASR; 0 when the attack was not run
 * @param seconds the defense's tuning wall time; for {@code none}, the backdoored model's training
 *     time (as recorded in the model store when it was trained)
 * @param model the architecture
 * @param device the device the lab ran on
 * @param versions DJL, engine and Java versions
 * @param machine operating system, architecture and processor count
 * @param finishedAt when the cell was recorded (ISO-8601)
 * @param failure empty when the defense succeeded; else why it failed (for example a NaN loss), in
 *     which case the hit and total counts are 0 and the cell is left out of averages
 */
public record CellResult(String attack, double rate, String method, long seed, long cleanHits, long cleanTotal,
        long attackHits, long attackTotal, long robustHits, long postPurificationHits, long postPurificationTotal,
        double seconds, String model, String device, String versions,
        String machine, String finishedAt, String failure) {

    /** CSV as Apache Commons CSV writes it: comma-separated, quoted where needed, no line break. */
    private static final CSVFormat CSV = CSVFormat.DEFAULT.builder().setRecordSeparator("").get();

    /** The CSV header, in field order. */
    public static final String HEADER = "attack,rate,defense,seed,clean_hits,clean_total,attack_hits,attack_total,"
            + "robust_hits,p_asr_hits,p_asr_total,seconds,model,device,versions,machine,finished_at,failure";

    /**
     * Returns whether the defense failed (see {@link #failure}).
     *
     * @return true if it failed
     */
    public boolean failed() {
        return !failure.isEmpty();
    }

    /**
     * Returns the key that identifies the cell in a grid.
     *
     * @return attack, rate and defense
     */
    public String key() {
        return attack + "@" + rate + "/" + method;
    }

    /**
     * Returns the robust accuracy: triggered non-target test images classified as their true class.
     *
     * @return robust hits / attack total, in [0, 1]
     */
    public double robustAccuracy() {
        return attackTotal == 0 ? 0 : (double) robustHits / attackTotal;
    }

    /**
     * Returns the attack success rate after the retuning attack.
     *
     * @return in [0, 1], or {@code NaN} when the attack was not run
     */
    public double postPurificationAsr() {
        return postPurificationTotal == 0 ? Double.NaN : (double) postPurificationHits / postPurificationTotal;
    }

    /**
     * Returns the clean accuracy.
     *
     * @return hits / total, in [0, 1]
     */
    public double cleanAccuracy() {
        return cleanTotal == 0 ? 0 : (double) cleanHits / cleanTotal;
    }

    /**
     * Returns the attack success rate.
     *
     * @return hits / total, in [0, 1]
     */
    public double attackSuccessRate() {
        return attackTotal == 0 ? 0 : (double) attackHits / attackTotal;
    }

    /**
     * Formats the cell as one CSV line (fields quoted when they hold commas or quotes).
     *
     * @return the line, without a line break
     */
    public String toCsv() {
        List<String> fields = List.of(attack, Double.toString(rate), method, Long.toString(seed),
                Long.toString(cleanHits), Long.toString(cleanTotal), Long.toString(attackHits),
                Long.toString(attackTotal), Long.toString(robustHits), Long.toString(postPurificationHits),
                Long.toString(postPurificationTotal), Double.toString(seconds), model, device, versions, machine,
                finishedAt, failure.replace('\n', ' '));
        StringBuilder line = new StringBuilder();
        try (CSVPrinter printer = new CSVPrinter(line, CSV)) {
            printer.printRecord(fields);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a StringBuilder does not fail
        }
        return line.toString();
    }

    /**
     * Parses a line written by {@link #toCsv()}.
     *
     * @param line the line
     * @return the cell
     * @throws IllegalArgumentException naming the line when it does not have the fields of {@link #HEADER}
     */
    public static CellResult fromCsv(String line) {
        List<String> f = split(line);
        if (f.size() != 18) {
            throw new IllegalArgumentException("expected 18 fields (" + HEADER + ") but got " + f.size() + ": " + line);
        }
        try {
            return new CellResult(f.get(0), Double.parseDouble(f.get(1)), f.get(2), Long.parseLong(f.get(3)),
                    Long.parseLong(f.get(4)), Long.parseLong(f.get(5)), Long.parseLong(f.get(6)),
                    Long.parseLong(f.get(7)), Long.parseLong(f.get(8)), Long.parseLong(f.get(9)),
                    Long.parseLong(f.get(10)), Double.parseDouble(f.get(11)), f.get(12), f.get(13), f.get(14),
                    f.get(15), f.get(16), f.get(17));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed number in results line: " + line, e);
        }
    }

    /**
     * Returns the cell as an ordered map, for JSON.
     *
     * @return field name to value
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attack", attack);
        m.put("rate", rate);
        m.put("defense", method);
        m.put("seed", seed);
        m.put("cleanAccuracy", cleanAccuracy());
        m.put("cleanHits", cleanHits);
        m.put("cleanTotal", cleanTotal);
        m.put("attackSuccessRate", attackSuccessRate());
        m.put("attackHits", attackHits);
        m.put("attackTotal", attackTotal);
        m.put("robustAccuracy", robustAccuracy());
        m.put("robustHits", robustHits);
        if (postPurificationTotal > 0) {
            m.put("postPurificationAttackSuccessRate", (double) postPurificationHits / postPurificationTotal);
            m.put("postPurificationHits", postPurificationHits);
            m.put("postPurificationTotal", postPurificationTotal);
        }
        m.put("seconds", seconds);
        m.put("model", model);
        m.put("device", device);
        m.put("versions", versions);
        m.put("machine", machine);
        m.put("finishedAt", finishedAt);
        if (failed()) {
            m.put("failure", failure);
        }
        return m;
    }

    private static List<String> split(String line) {
        try (CSVParser parser = CSVParser.parse(line, CSV)) {
            List<CSVRecord> records = parser.getRecords();
            return records.isEmpty() ? List.of() : records.get(0).toList();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("malformed CSV line: " + line, e);
        }
    }
}
