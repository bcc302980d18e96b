package dev.fst.lab.data;

import com.google.common.base.Preconditions;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Writes a PNG picture of sample images: one row per class (up to the largest label present), the
 * first images of each class.
 */
public final class SampleGrid {

    private SampleGrid() {}

    /**
     * Writes the grid.
     *
     * @param images the images
     * @param perClass images per row, {@code >= 1}
     * @param scale pixel magnification, {@code >= 1}
     * @param file the PNG file; parent folders are created
     * @throws IOException if the file cannot be written
     */
    public static void write(LabeledImages images, int perClass, int scale, Path file) throws IOException {
        Preconditions.checkArgument(perClass >= 1 && scale >= 1, "perClass and scale must be >= 1");
        int h = images.height();
        int w = images.width();
        int gap = 2;
        int classes = java.util.Arrays.stream(images.labels()).max().orElse(0) + 1;
        BufferedImage out = new BufferedImage(perClass * (w * scale + gap), classes * (h * scale + gap),
                BufferedImage.TYPE_INT_RGB);
        int[] placed = new int[classes];
        for (int i = 0; i < images.size(); i++) {
            int y = images.label(i);
            if (placed[y] >= perClass) {
                continue;
            }
            int ox = placed[y]++ * (w * scale + gap);
            int oy = y * (h * scale + gap);
            for (int r = 0; r < h * scale; r++) {
                for (int c = 0; c < w * scale; c++) {
                    int rgb = (images.value(i, r / scale, c / scale, 0) << 16)
                            | (images.value(i, r / scale, c / scale, 1) << 8)
                            | images.value(i, r / scale, c / scale, 2);
                    out.setRGB(ox + c, oy + r, rgb);
                }
            }
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ImageIO.write(out, "png", file.toFile());
    }
}
