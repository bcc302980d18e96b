package dev.fst.lab.train;

import com.google.common.base.Preconditions;
import java.time.Instant;
import java.util.Properties;

/**
 * What a trained (backdoored) model is: how it was made and how it measured, saved next to its
 * weights by {@link ModelStore}.
 *
 * @param key the store key: a hash of everything that determines the model
 * @param architecture the architecture's command-line name
 * @param data the data source
 * @param attack the attack's name, or {@code none} for a clean model
 * @param rate the requested poisoning rate (0 for none)
 * @param target the target class
 * @param trainImages training images
 * @param poisoned poisoned training images
 * @param epochs training epochs
 * @param learningRate the initial learning rate
 * @param seed the seed of data selection, poisoning, initial weights and shuffling
 * @param cleanAccuracy clean test accuracy after training, in [0, 1]
 * @param attackSuccessRate ASR on the triggered non-target test images, in [0, 1] (0 for none)
 * @param trainingSeconds wall time of the training
 * @param createdAt when training finished
 * @param versions DJL and engine versions, for reports
 */
public record BackdoorRecord(
        String key,
        String architecture,
        String data,
        String attack,
        double rate,
        int target,
        int trainImages,
        int poisoned,
        int epochs,
        double learningRate,
        long seed,
        double cleanAccuracy,
        double attackSuccessRate,
        double trainingSeconds,
        Instant createdAt,
        String versions) {

    /**
     * Writes the record as properties.
     *
     * @return the properties
     */
    public Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("key", key);
        p.setProperty("architecture", architecture);
        p.setProperty("data", data);
        p.setProperty("attack", attack);
        p.setProperty("rate", Double.toString(rate));
        p.setProperty("target", Integer.toString(target));
        p.setProperty("trainImages", Integer.toString(trainImages));
        p.setProperty("poisoned", Integer.toString(poisoned));
        p.setProperty("epochs", Integer.toString(epochs));
        p.setProperty("learningRate", Double.toString(learningRate));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("cleanAccuracy", Double.toString(cleanAccuracy));
        p.setProperty("attackSuccessRate", Double.toString(attackSuccessRate));
        p.setProperty("trainingSeconds", Double.toString(trainingSeconds));
        p.setProperty("createdAt", createdAt.toString());
        p.setProperty("versions", versions);
        return p;
    }

    /**
     * Reads a record written by {@link #toProperties()}.
     *
     * @param p the properties
     * @return the record
     * @throws IllegalArgumentException naming the missing or malformed property
     */
    public static BackdoorRecord fromProperties(Properties p) {
        try {
            return new BackdoorRecord(
                    required(p, "key"),
                    required(p, "architecture"),
                    required(p, "data"),
                    required(p, "attack"),
                    Double.parseDouble(required(p, "rate")),
                    Integer.parseInt(required(p, "target")),
                    Integer.parseInt(required(p, "trainImages")),
                    Integer.parseInt(required(p, "poisoned")),
                    Integer.parseInt(required(p, "epochs")),
                    Double.parseDouble(required(p, "learningRate")),
                    Long.parseLong(required(p, "seed")),
                    Double.parseDouble(required(p, "cleanAccuracy")),
                    Double.parseDouble(required(p, "attackSuccessRate")),
                    Double.parseDouble(required(p, "trainingSeconds")),
                    Instant.parse(required(p, "createdAt")),
                    required(p, "versions"));
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("malformed model metadata: " + e.getMessage(), e);
        }
    }

    private static String required(Properties p, String name) {
        String value = p.getProperty(name);
        Preconditions.checkArgument(value != null, "model metadata lacks '%s'", name);
        return value;
    }
}
