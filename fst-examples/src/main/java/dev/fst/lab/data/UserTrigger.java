package dev.fst.lab.data;

import com.google.common.base.Preconditions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trigger the user supplies as an image file, to measure a model's attack success rate with the
 * attacker's own trigger rather than one of the lab's: stamped as a patch at a position ({@link
 * #stamped}), or blended over the whole image at a ratio ({@link #blended}). Either way, images of
 * the target class are left out and the rest keep their true labels, as {@link
 * dev.fst.eval.Evaluator#attackSuccessRate} expects.
 *
 * <p>The file is decoded like the lab's images (PNG, JPEG, BMP, GIF or PPM; an alpha channel is
 * dropped) and converted to the evaluation images' channels (gray to RGB repeats the value, RGB to
 * gray takes the luma).
 */
public final class UserTrigger {
    private final Path file;
    private final Raster raster;

    private UserTrigger(Path file, Raster raster) {
        this.file = file;
        this.raster = raster;
    }

    /**
     * Reads the trigger image.
     *
     * @param file the image file
     * @return the trigger
     * @throws IOException if the file cannot be read or decoded (the message names it)
     */
    public static UserTrigger read(Path file) throws IOException {
        return new UserTrigger(file, Raster.read(file));
    }

    /** @return the trigger's width in pixels */
    public int width() {
        return raster.width();
    }

    /** @return the trigger's height in pixels */
    public int height() {
        return raster.height();
    }

    /**
     * Stamps the trigger, unscaled, with its top-left corner at column {@code x}, row {@code y},
     * onto every image not of the target class.
     *
     * @param images the clean evaluation images
     * @param x column of the trigger's left edge, {@code >= 0}
     * @param y row of the trigger's top edge, {@code >= 0}
     * @param target the target class, left out
     * @return the triggered non-target images, with their true labels
     * @throws IllegalArgumentException if the trigger does not fit inside the images at that
     *     position, or every image is of the target class
     */
    public LabeledImages stamped(LabeledImages images, int x, int y, int target) {
        Preconditions.checkArgument(x >= 0 && y >= 0, "--trigger-at must be two numbers >= 0 but was %s,%s", x, y);
        if (x + width() > images.width() || y + height() > images.height()) {
            throw new IllegalArgumentException(String.format(
                    "the trigger image %s is %dx%d pixels; at %d,%d it does not fit inside the %dx%d images the"
                            + " model takes", file, width(), height(), x, y, images.width(), images.height()));
        }
        int[] patch = raster.withChannels(images.channels()).pixels();
        int channels = images.channels();
        return apply(images, target, image -> {
            for (int r = 0; r < height(); r++) {
                for (int c = 0; c < width(); c++) {
                    for (int k = 0; k < channels; k++) {
                        image[((y + r) * images.width() + x + c) * channels + k] = patch[(r * width() + c) * channels + k];
                    }
                }
            }
        });
    }

    /**
     * Blends the trigger, resized to the images' size, over every image not of the target class:
     * {@code (1 - ratio) * image + ratio * trigger}.
     *
     * @param images the clean evaluation images
     * @param ratio the trigger's weight, in (0, 1]
     * @param target the target class, left out
     * @return the triggered non-target images, with their true labels
     * @throws IllegalArgumentException if the ratio is out of range or every image is of the target
     *     class
     */
    public LabeledImages blended(LabeledImages images, double ratio, int target) {
        Preconditions.checkArgument(ratio > 0 && ratio <= 1, "--blend must be in (0, 1] but was %s", ratio);
        int[] pattern = raster.withChannels(images.channels()).resize(images.height(), images.width()).pixels();
        return apply(images, target, image -> {
            for (int i = 0; i < image.length; i++) {
                image[i] = (int) Math.round((1 - ratio) * image[i] + ratio * pattern[i]);
            }
        });
    }

    private static LabeledImages apply(LabeledImages images, int target, java.util.function.Consumer<int[]> change) {
        Preconditions.checkArgument(target >= 0 && target < images.classes(), "--target %s is not one of the %s classes %s",
                target, images.classes(), images.classNames());
        int[] others = images.indicesWhereLabel(target, false);
        if (others.length == 0) {
            throw new IllegalArgumentException("every evaluation image is of the target class " + target + " ("
                    + images.classNames().get(target) + "): nothing to measure the attack success rate on");
        }
        LabeledImages selected = images.select(others);
        List<int[]> changed = new ArrayList<>();
        int[] indices = new int[selected.size()];
        for (int i = 0; i < selected.size(); i++) {
            int[] image = selected.image(i);
            change.accept(image);
            changed.add(image);
            indices[i] = i;
        }
        return selected.replace(indices, changed, selected.labels());
    }
}
