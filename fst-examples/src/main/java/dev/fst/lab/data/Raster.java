package dev.fst.lab.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * One decoded image: grayscale (1 channel) or RGB (3 channels), HWC values 0..255, with what the
 * decoding changed, readers for the file formats the lab's loaders meet (binary PPM as GTSRB ships
 * it, and whatever {@link ImageIO} reads: PNG, JPEG, BMP, GIF), a channel conversion and an
 * area-averaging resize.
 *
 * <p>Decoding keeps gray images gray and colour images RGB; it drops an alpha channel (the colour
 * values are kept as they are, not composited onto a background) and reduces 16-bit samples to 8
 * bits. Both are recorded ({@link #alphaDropped}, {@link #depthReduced}) so that a loader can say
 * how many images were changed.
 *
 * @param height rows
 * @param width columns
 * @param channels 1 (gray) or 3 (RGB)
 * @param pixels {@code height * width * channels} values, HWC
 * @param alphaDropped whether the file had an alpha channel that decoding dropped
 * @param depthReduced whether the file had more than 8 bits per sample
 */
record Raster(int height, int width, int channels, int[] pixels, boolean alphaDropped, boolean depthReduced) {

    /** Reads a PPM (P6) or any ImageIO format; errors name the file and what was expected. */
    static Raster read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".ppm")) {
            return readPpm(file);
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": cannot decode the image: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException(file + ": not an image ImageIO can decode (expected PNG, JPEG, BMP, GIF or PPM)");
        }
        return fromImage(image);
    }

    private static Raster fromImage(BufferedImage image) {
        ColorModel model = image.getColorModel();
        boolean gray = !(model instanceof IndexColorModel) && model.getNumColorComponents() == 1;
        boolean deep = false;
        for (int size : model.getComponentSize()) {
            deep |= size > 8;
        }
        int h = image.getHeight();
        int w = image.getWidth();
        int channels = gray ? 1 : 3;
        int[] pixels = new int[h * w * channels];
        if (gray) {
            java.awt.image.Raster raster = image.getRaster();
            int max = (1 << model.getComponentSize(0)) - 1;
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    int sample = raster.getSample(c, r, 0);
                    pixels[r * w + c] = max == 255 ? sample : (int) Math.round(sample * 255.0 / max);
                }
            }
        } else {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    int rgb = image.getRGB(c, r);
                    int k = (r * w + c) * 3;
                    pixels[k] = (rgb >> 16) & 0xFF;
                    pixels[k + 1] = (rgb >> 8) & 0xFF;
                    pixels[k + 2] = rgb & 0xFF;
                }
            }
        }
        return new Raster(h, w, channels, pixels, model.hasAlpha(), deep);
    }

    /**
     * Reads an image file's height and width from its header, without decoding the pixels.
     *
     * @param file a PPM or an image ImageIO reads
     * @return {height, width}
     * @throws IOException naming the file when its header cannot be read
     */
    static int[] readSize(Path file) throws IOException {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".ppm")) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                token(in, file);
                int w = number(in, file, "width");
                int h = number(in, file, "height");
                return new int[] {h, w};
            }
        }
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException(file + ": not an image ImageIO can decode (expected PNG, JPEG, BMP, GIF or PPM)");
            }
            javax.imageio.ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getHeight(0), reader.getWidth(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(file.toString())) {
                throw io;
            }
            throw new IOException(file + ": cannot read the image's header: " + e.getMessage(), e);
        }
    }

    /**
     * Wraps one image of a {@link LabeledImages} set.
     *
     * @param images the set
     * @param index the image
     * @return the image as a raster (nothing dropped or reduced)
     */
    static Raster of(LabeledImages images, int index) {
        return new Raster(images.height(), images.width(), images.channels(), images.image(index), false, false);
    }

    /** Binary PPM: "P6", width, height, maxval (1..255), whitespace and # comments, then RGB bytes. */
    static Raster readPpm(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            String magic = token(in, file);
            if (!"P6".equals(magic)) {
                throw new IOException(file + ": expected a binary PPM starting with 'P6' but found '" + magic + "'");
            }
            int w = number(in, file, "width");
            int h = number(in, file, "height");
            int max = number(in, file, "maxval");
            if (w < 1 || h < 1 || max < 1 || max > 255) {
                throw new IOException(file + ": PPM header has width " + w + ", height " + h + ", maxval " + max
                        + "; expected positive sizes and maxval 1..255");
            }
            byte[] data = in.readNBytes(w * h * 3);
            if (data.length != w * h * 3) {
                throw new IOException(file + ": PPM of " + w + "x" + h + " needs " + (w * h * 3)
                        + " pixel bytes but the file has " + data.length);
            }
            int[] pixels = new int[data.length];
            for (int i = 0; i < data.length; i++) {
                pixels[i] = (data[i] & 0xFF) * 255 / max;
            }
            return new Raster(h, w, 3, pixels, false, false);
        }
    }

    private static int number(InputStream in, Path file, String what) throws IOException {
        String t = token(in, file);
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": PPM header " + what + " should be a number but was '" + t + "'");
        }
    }

    /** Reads one whitespace-delimited header token, skipping comments; consumes one trailing space. */
    private static String token(InputStream in, Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '#') {
                while ((b = in.read()) != -1 && b != '\n') {
                    // skip the comment
                }
            } else if (Character.isWhitespace(b)) {
                if (sb.length() > 0) {
                    return sb.toString();
                }
            } else {
                sb.append((char) b);
                if (sb.length() > 20) {
                    throw new IOException(file + ": malformed PPM header near '" + sb + "'");
                }
            }
        }
        if (sb.length() == 0) {
            throw new EOFException(file + ": PPM header ends early");
        }
        return sb.toString();
    }

    /**
     * Returns the image with {@code target} channels: gray to RGB repeats the value; RGB to gray
     * takes the luma {@code 0.299 R + 0.587 G + 0.114 B}, rounded (ITU-R BT.601, as PIL's {@code
     * convert("L")} and torchvision's {@code Grayscale} do).
     *
     * @param target 1 or 3
     * @return this image when it already has {@code target} channels, else a converted copy
     */
    Raster withChannels(int target) {
        if (target == channels) {
            return this;
        }
        if (target != 1 && target != 3) {
            throw new IllegalArgumentException("images can have 1 or 3 channels, not " + target);
        }
        int n = height * width;
        int[] out = new int[n * target];
        for (int p = 0; p < n; p++) {
            if (target == 3) {
                out[3 * p] = pixels[p];
                out[3 * p + 1] = pixels[p];
                out[3 * p + 2] = pixels[p];
            } else {
                out[p] = (int) Math.round(
                        0.299 * pixels[3 * p] + 0.587 * pixels[3 * p + 1] + 0.114 * pixels[3 * p + 2]);
            }
        }
        return new Raster(height, width, target, out, alphaDropped, depthReduced);
    }

    /** Area-averaging resize (each output pixel averages the source area it covers), rounded. */
    Raster resize(int newHeight, int newWidth) {
        if (newHeight == height && newWidth == width) {
            return this;
        }
        int[] out = new int[newHeight * newWidth * channels];
        double sy = (double) height / newHeight;
        double sx = (double) width / newWidth;
        double[] sum = new double[channels];
        for (int r = 0; r < newHeight; r++) {
            double y0 = r * sy;
            double y1 = y0 + sy;
            for (int c = 0; c < newWidth; c++) {
                double x0 = c * sx;
                double x1 = x0 + sx;
                java.util.Arrays.fill(sum, 0);
                double area = 0;
                for (int y = (int) y0; y < Math.min(height, Math.ceil(y1)); y++) {
                    double wy = Math.min(y + 1, y1) - Math.max(y, y0);
                    for (int x = (int) x0; x < Math.min(width, Math.ceil(x1)); x++) {
                        double wgt = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
                        for (int ch = 0; ch < channels; ch++) {
                            sum[ch] += wgt * pixels[(y * width + x) * channels + ch];
                        }
                        area += wgt;
                    }
                }
                for (int ch = 0; ch < channels; ch++) {
                    out[(r * newWidth + c) * channels + ch] = (int) Math.round(sum[ch] / area);
                }
            }
        }
        return new Raster(newHeight, newWidth, channels, out, alphaDropped, depthReduced);
    }
}
