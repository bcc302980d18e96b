package dev.fst.lab.data;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * One decoded RGB image, HWC values 0..255, with readers for the file formats the lab's loaders
 * meet (binary PPM as GTSRB ships it, and whatever {@link ImageIO} reads: PNG, JPEG, BMP, GIF) and
 * an area-averaging resize.
 *
 * @param height rows
 * @param width columns
 * @param pixels {@code height * width * 3} values, HWC
 */
record RgbImage(int height, int width, int[] pixels) {

    /** Reads a PPM (P6) or any ImageIO format; errors name the file and what was expected. */
    static RgbImage read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".ppm")) {
            return readPpm(file);
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": cannot decode the image: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException(file + ": not an image ImageIO can decode (expected PNG, JPEG, BMP, GIF or PPM)");
        }
        int h = image.getHeight();
        int w = image.getWidth();
        int[] pixels = new int[h * w * 3];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                int rgb = image.getRGB(c, r);
                int k = (r * w + c) * 3;
                pixels[k] = (rgb >> 16) & 0xFF;
                pixels[k + 1] = (rgb >> 8) & 0xFF;
                pixels[k + 2] = rgb & 0xFF;
            }
        }
        return new RgbImage(h, w, pixels);
    }

    /** Binary PPM: "P6", width, height, maxval (1..255), whitespace and # comments, then RGB bytes. */
    static RgbImage readPpm(Path file) throws IOException {
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
            return new RgbImage(h, w, pixels);
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

    /** Area-averaging resize (each output pixel averages the source area it covers), rounded. */
    RgbImage resize(int newHeight, int newWidth) {
        if (newHeight == height && newWidth == width) {
            return this;
        }
        int[] out = new int[newHeight * newWidth * 3];
        double sy = (double) height / newHeight;
        double sx = (double) width / newWidth;
        for (int r = 0; r < newHeight; r++) {
            double y0 = r * sy;
            double y1 = y0 + sy;
            for (int c = 0; c < newWidth; c++) {
                double x0 = c * sx;
                double x1 = x0 + sx;
                double[] sum = new double[3];
                double area = 0;
                for (int y = (int) y0; y < Math.min(height, Math.ceil(y1)); y++) {
                    double wy = Math.min(y + 1, y1) - Math.max(y, y0);
                    for (int x = (int) x0; x < Math.min(width, Math.ceil(x1)); x++) {
                        double wgt = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
                        for (int ch = 0; ch < 3; ch++) {
                            sum[ch] += wgt * pixels[(y * width + x) * 3 + ch];
                        }
                        area += wgt;
                    }
                }
                for (int ch = 0; ch < 3; ch++) {
                    out[(r * newWidth + c) * 3 + ch] = (int) Math.round(sum[ch] / area);
                }
            }
        }
        return new RgbImage(newHeight, newWidth, out);
    }
}
