package dev.fst.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What input a classifier takes, found from the model itself: the channel count from the first
 * convolution's weight (shape (out, in, kh, kw) in parameter order), and whether an image shape
 * fits from one inference-mode forward pass on a blank image. When a shape does not fit, {@link
 * #mismatch} names both shapes, trying the common image sizes to find one the model takes.
 */
final class ModelInput {

    /** Image sides tried when the requested one does not fit, most common first. */
    private static final int[] COMMON_SIDES = {32, 28, 64, 224, 96, 128, 256, 299, 16, 48, 40, 36, 112};

    private final Model model;

    ModelInput(Model model) {
        this.model = model;
    }

    /**
     * Returns the input channels of the model's first convolution.
     *
     * @return the channel count, or empty when the model has no 2-D convolution
     */
    OptionalInt channels() {
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            Shape shape = pair.getValue().getArray().getShape();
            if (shape.dimension() == 4) {
                return OptionalInt.of((int) shape.get(1));
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Returns the name of the model's first convolution weight, for messages.
     *
     * @return a parameter name such as {@code conv1.weight}, or {@code null}
     */
    String firstConvolution() {
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            if (pair.getValue().getArray().getShape().dimension() == 4) {
                return pair.getKey();
            }
        }
        return null;
    }

    /**
     * Runs the model once on a blank image of the shape.
     *
     * @param channels image channels
     * @param side image height and width
     * @return the logits' shape, or {@code null} when the model rejects the input
     */
    Shape outputShape(int channels, int side) {
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray image = scope.zeros(new Shape(1, channels, side, side));
            NDList out = model.getBlock().forward(new ParameterStore(scope, false), new NDList(image), false);
            return out.singletonOrThrow().getShape();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Explains why images of a shape do not fit the model, naming the shape it takes when one of
     * the common ones fits.
     *
     * @param channels the images' channels
     * @param side the images' side
     * @return one line, for example {@code the model takes 1x28x28 images; the images are 3x32x32}
     */
    String mismatch(int channels, int side) {
        OptionalInt modelChannels = channels();
        Set<Integer> channelCandidates = new LinkedHashSet<>();
        modelChannels.ifPresent(channelCandidates::add);
        channelCandidates.add(channels);
        channelCandidates.add(3);
        channelCandidates.add(1);
        List<String> fits = new ArrayList<>();
        for (int c : channelCandidates) {
            for (int s : sides(side)) {
                if ((c != channels || s != side) && outputShape(c, s) != null) {
                    fits.add(c + "x" + s + "x" + s);
                    break;
                }
            }
            if (!fits.isEmpty()) {
                break;
            }
        }
        String images = "the images are " + channels + "x" + side + "x" + side;
        if (modelChannels.isPresent() && modelChannels.getAsInt() != channels) {
            String takes = fits.isEmpty() ? modelChannels.getAsInt() + "-channel" : fits.get(0);
            return String.format(Locale.ROOT, "the model takes %s images (its first convolution %s has %d input"
                    + " channel%s); %s", takes, firstConvolution(), modelChannels.getAsInt(),
                    modelChannels.getAsInt() == 1 ? "" : "s", images);
        }
        if (!fits.isEmpty()) {
            return "the model takes " + fits.get(0) + " images; " + images + " (set --size)";
        }
        return "the model does not run on " + channels + "x" + side + "x" + side + " images, nor on any common"
                + " image size from 16 to 299 pixels";
    }

    /**
     * Returns the first common image side the model takes with this many channels.
     *
     * @param channels the images' channels
     * @return the side, or empty when none of the common ones fits
     */
    OptionalInt firstFittingSide(int channels) {
        for (int side : COMMON_SIDES) {
            if (outputShape(channels, side) != null) {
                return OptionalInt.of(side);
            }
        }
        return OptionalInt.empty();
    }

    private static int[] sides(int requested) {
        int[] sides = new int[COMMON_SIDES.length + 1];
        sides[0] = requested;
        System.arraycopy(COMMON_SIDES, 0, sides, 1, COMMON_SIDES.length);
        return sides;
    }
}
