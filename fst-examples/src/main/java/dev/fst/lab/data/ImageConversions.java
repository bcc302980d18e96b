package dev.fst.lab.data;

import java.util.ArrayList;
import java.util.List;

/**
 * What decoding a set of image files changed, counted per kind of change, so that a loader can
 * say it instead of converting silently: files skipped because they are not images, alpha
 * channels dropped, samples deeper than 8 bits reduced, gray images made RGB, RGB images made
 * gray, and images resized. Mutable; filled by one load and then read.
 */
public final class ImageConversions {

    private int decoded;
    private int skippedFiles;
    private int alphaDropped;
    private int depthReduced;
    private int grayToRgb;
    private int rgbToGray;
    private int resized;
    private int targetSize;

    void skipped(int files) {
        skippedFiles += files;
    }

    void record(Raster original, int channels, int size) {
        decoded++;
        targetSize = size;
        alphaDropped += original.alphaDropped() ? 1 : 0;
        depthReduced += original.depthReduced() ? 1 : 0;
        grayToRgb += original.channels() == 1 && channels == 3 ? 1 : 0;
        rgbToGray += original.channels() == 3 && channels == 1 ? 1 : 0;
        resized += original.height() != size || original.width() != size ? 1 : 0;
    }

    /**
     * Returns the number of image files decoded.
     *
     * @return the count
     */
    public int decoded() {
        return decoded;
    }

    /**
     * Returns the number of files skipped because their names do not end in an image extension.
     *
     * @return the count
     */
    public int skippedFiles() {
        return skippedFiles;
    }

    /**
     * Returns the number of images that were resized.
     *
     * @return the count
     */
    public int resized() {
        return resized;
    }

    /**
     * Describes every change, one line each (for example {@code 12 of 320 images had an alpha
     * channel, which was dropped}); empty when nothing was changed.
     *
     * @return the lines
     */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        if (skippedFiles > 0) {
            lines.add(skippedFiles + " file(s) without an image extension (png, jpg, jpeg, bmp, gif, ppm) were skipped");
        }
        add(lines, alphaDropped, "had an alpha channel, which was dropped (colours kept, not composited)");
        add(lines, depthReduced, "had more than 8 bits per sample and were reduced to 8 bits");
        add(lines, grayToRgb, "were grayscale and were converted to RGB (the gray value in all three channels)");
        add(lines, rgbToGray, "were RGB and were converted to grayscale (luma 0.299 R + 0.587 G + 0.114 B)");
        add(lines, resized, "were resized to " + targetSize + "x" + targetSize + " (area averaging)");
        return lines;
    }

    private void add(List<String> lines, int count, String what) {
        if (count > 0) {
            lines.add(count + " of " + decoded + " images " + what);
        }
    }

    @Override
    public String toString() {
        return String.join("; ", describe());
    }
}
