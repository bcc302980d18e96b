package dev.fst.lab.attack;


/**
 * Remembers a value computed for one image shape (a trigger pattern, a warp grid), so that a set
 * of same-shaped images computes it once rather than once per image. Thread-safe.
 *
 * @param <T> the remembered value; callers must not modify it
 */
final class SizeMemo<T> {

    /** Computes the value for a shape. */
    interface Compute<T> {
        T apply(int height, int width, int channels);
    }

    private final Compute<T> compute;
    private int height = -1;
    private int width = -1;
    private int channels = -1;
    private T value;

    SizeMemo(Compute<T> compute) {
        this.compute = compute;
    }

    synchronized T get(int height, int width, int channels) {
        if (value == null || height != this.height || width != this.width || channels != this.channels) {
            value = compute.apply(height, width, channels);
            this.height = height;
            this.width = width;
            this.channels = channels;
        }
        return value;
    }
}
