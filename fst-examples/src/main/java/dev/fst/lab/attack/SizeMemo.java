package dev.fst.lab.attack;

import java.util.function.BiFunction;

/**
 * Remembers a value computed for one image size (a trigger pattern, a warp grid), so that a set of
 * same-sized images computes it once rather than once per image. Thread-safe.
 *
 * @param <T> the remembered value; callers must not modify it
 */
final class SizeMemo<T> {

    private final BiFunction<Integer, Integer, T> compute;
    private int height = -1;
    private int width = -1;
    private T value;

    SizeMemo(BiFunction<Integer, Integer, T> compute) {
        this.compute = compute;
    }

    synchronized T get(int height, int width) {
        if (value == null || height != this.height || width != this.width) {
            value = compute.apply(height, width);
            this.height = height;
            this.width = width;
        }
        return value;
    }
}
