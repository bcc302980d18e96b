package dev.fst.lab.attack;

import dev.fst.lab.data.LabeledImages;
import java.util.List;
import java.util.Random;

/** Small random image sets for attack tests. */
final class AttackFixtures {

    static final List<String> CLASSES = List.of("a", "b", "c", "d");

    private AttackFixtures() {}

    /** {@code n} random 32x32 images, labels cycling over 4 classes. */
    static LabeledImages random(int n, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[n * 32 * 32 * 3];
        random.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % CLASSES.size();
        }
        return LabeledImages.of(pixels, labels, 32, 32, CLASSES);
    }

    /** {@code n} images of one grey level. */
    static LabeledImages flat(int n, int value) {
        byte[] pixels = new byte[n * 32 * 32 * 3];
        java.util.Arrays.fill(pixels, (byte) value);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % CLASSES.size();
        }
        return LabeledImages.of(pixels, labels, 32, 32, CLASSES);
    }

    /** {@code n} random grayscale 28x28 images (Fashion-MNIST's shape), labels cycling over 4 classes. */
    static LabeledImages gray(int n, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[n * 28 * 28];
        random.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % CLASSES.size();
        }
        return LabeledImages.of(pixels, labels, 28, 28, 1, CLASSES);
    }

    static int index(int row, int column, int channel) {
        return (row * 32 + column) * 3 + channel;
    }
}
