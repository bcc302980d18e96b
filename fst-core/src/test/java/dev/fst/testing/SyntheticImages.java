package dev.fst.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import java.util.Random;

/**
 * Tiny labelled images for tests: class {@code c} is a bright blob of a class colour in quadrant
 * {@code c mod 4}, on a noisy background, jittered in position and brightness. A backdoor trigger is
 * a 2x2 white patch in the bottom-right corner.
 */
public final class SyntheticImages {

    public final float[] pixels;
    public final long[] labels;
    public final int size;

    private SyntheticImages(float[] pixels, long[] labels, int size) {
        this.pixels = pixels;
        this.labels = labels;
        this.size = size;
    }

    /** Generates {@code n} clean images of {@code size x size} for {@code classes <= 4} classes. */
    public static SyntheticImages generate(int n, int classes, int size, long seed) {
        Random random = new Random(seed);
        int plane = size * size;
        float[] pixels = new float[n * 3 * plane];
        long[] labels = new long[n];
        int half = size / 2;
        for (int i = 0; i < n; i++) {
            int c = i % classes;
            labels[i] = c;
            int base = i * 3 * plane;
            for (int k = 0; k < 3 * plane; k++) {
                pixels[base + k] = 0.3f + 0.15f * (float) random.nextGaussian();
            }
            int y0 = (c / 2) * half + 1 + random.nextInt(2);
            int x0 = (c % 2) * half + 1 + random.nextInt(2);
            float bright = 0.8f + 0.2f * random.nextFloat();
            float[] colour = {c == 0 || c == 3 ? 1f : 0.2f, c == 1 || c == 3 ? 1f : 0.2f, c == 2 ? 1f : 0.2f};
            for (int ch = 0; ch < 3; ch++) {
                for (int y = y0; y < Math.min(y0 + half - 3, size - 2); y++) {
                    for (int x = x0; x < Math.min(x0 + half - 3, size - 2); x++) {
                        pixels[base + ch * plane + y * size + x] = bright * colour[ch];
                    }
                }
            }
        }
        return new SyntheticImages(pixels, labels, size);
    }

    /** Stamps the trigger on image {@code i}. */
    public void stamp(int i) {
        int plane = size * size;
        for (int ch = 0; ch < 3; ch++) {
            for (int y = size - 2; y < size; y++) {
                for (int x = size - 2; x < size; x++) {
                    pixels[i * 3 * plane + ch * plane + y * size + x] = 1f;
                }
            }
        }
    }

    /** Poisons every {@code every}-th non-target image: trigger plus label {@code target}. */
    public SyntheticImages poison(int every, int target) {
        int count = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != target && count++ % every == 0) {
                stamp(i);
                labels[i] = target;
            }
        }
        return this;
    }

    /** A copy with every image triggered and labels kept (for attack success rates). */
    public SyntheticImages triggered() {
        SyntheticImages copy = new SyntheticImages(pixels.clone(), labels.clone(), size);
        for (int i = 0; i < labels.length; i++) {
            copy.stamp(i);
        }
        return copy;
    }

    /** The images as a DJL dataset whose arrays live in {@code manager}. */
    public ArrayDataset dataset(NDManager manager) {
        return new ArrayDataset.Builder()
                .setData(manager.create(pixels, new Shape(labels.length, 3, size, size)))
                .optLabels(manager.create(labels))
                .setSampling(64, false)
                .build();
    }
}
