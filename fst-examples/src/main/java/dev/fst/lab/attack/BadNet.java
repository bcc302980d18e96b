package dev.fst.lab.attack;

/**
 * BadNet (Gu et al. 2017) as configured in the FST reference: a 3x3 patch in the bottom-right
 * corner (the last three rows and columns, no margin) replaces the pixels under it, in every
 * channel (RGB or gray); dirty-label.
 *
 * <p>{@link Patch#WHITE} is the reference configuration's trigger image (all 255);
 * {@link Patch#GRID} its checkerboard variant, the one the FST paper describes: 255 where {@code
 * (i + j)} is even and 1 where it is odd, {@code (i, j)} the offsets inside the patch (top-left
 * white).
 */
public final class BadNet extends AbstractAttack {

    /** Side of the square patch, in pixels. */
    public static final int PATCH = 3;

    /** The patch's pixel values. */
    public enum Patch {
        /** All three channels 255. */
        WHITE,
        /** Checkerboard of 255 and 1, top-left 255. */
        GRID
    }

    private final Patch patch;

    /**
     * Creates the attack.
     *
     * @param patch the patch variant
     * @param target the target class, {@code >= 0} (reference: 0)
     */
    public BadNet(Patch patch, int target) {
        super(patch == Patch.WHITE ? "badnet" : "badnet-grid", target, false);
        this.patch = patch;
    }

    /**
     * Returns the patch value at an offset inside the patch.
     *
     * @param i row offset, 0..2
     * @param j column offset, 0..2
     * @return 255 or 1
     */
    public int patchValue(int i, int j) {
        return patch == Patch.WHITE || (i + j) % 2 == 0 ? 255 : 1;
    }

    @Override
    protected double[] trigger(int[] image, int height, int width) {
        double[] out = toDouble(image);
        int channels = channels(image, height, width);
        for (int i = 0; i < PATCH; i++) {
            for (int j = 0; j < PATCH; j++) {
                int base = ((height - PATCH + i) * width + (width - PATCH + j)) * channels;
                for (int c = 0; c < channels; c++) {
                    out[base + c] = patchValue(i, j);
                }
            }
        }
        return out;
    }
}
