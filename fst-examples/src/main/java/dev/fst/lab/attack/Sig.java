package dev.fst.lab.attack;

/**
 * SIG (Barni et al. 2019), clean-label: {@code x' = clip(x + delta * sin(2 pi j f / W))} with column
 * index {@code j}, the same for every row and channel. Reference values: {@code delta = 40} (0..255
 * scale), {@code f = 6}. Poisoned images are drawn from the target class and keep their labels, so
 * the rate is at most that class's share of the training set.
 */
public final class Sig extends AbstractAttack {

    /** The reference amplitude. */
    public static final double DEFAULT_DELTA = 40;

    /** The reference frequency (periods across the image width). */
    public static final double DEFAULT_FREQUENCY = 6;

    private final double delta;
    private final double frequency;

    /**
     * Creates the attack with the reference amplitude and frequency.
     *
     * @param target the target class, {@code >= 0}
     */
    public Sig(int target) {
        this(target, DEFAULT_DELTA, DEFAULT_FREQUENCY);
    }

    /**
     * Creates the attack.
     *
     * @param target the target class, {@code >= 0}
     * @param delta the amplitude, {@code > 0}
     * @param frequency the frequency, {@code > 0}
     */
    public Sig(int target, double delta, double frequency) {
        super("sig", target, true);
        if (!(delta > 0) || !(frequency > 0)) {
            throw new IllegalArgumentException("SIG delta and frequency must be > 0 but were " + delta + ", " + frequency);
        }
        this.delta = delta;
        this.frequency = frequency;
    }

    /**
     * Returns the signal added to column {@code j}.
     *
     * @param j the column
     * @param width the image width
     * @return {@code delta * sin(2 pi j f / width)}
     */
    public double signal(int j, int width) {
        return delta * Math.sin(2 * Math.PI * j * frequency / width);
    }

    @Override
    protected double[] trigger(int[] image, int height, int width) {
        double[] out = new double[image.length];
        int channels = channels(image, height, width);
        for (int r = 0; r < height; r++) {
            for (int j = 0; j < width; j++) {
                double s = signal(j, width);
                for (int c = 0; c < channels; c++) {
                    int k = (r * width + j) * channels + c;
                    out[k] = image[k] + s;
                }
            }
        }
        return out;
    }
}
