package dev.fst.baselines;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-channel masks a BatchNorm-mask method (ANP, NFT) learned, by layer: one value per
 * channel, the factor that multiplied the layer's original BatchNorm scale {@code gamma0}. Reported
 * under the detail {@code "masks"} of a {@link dev.fst.tuning.PurificationResult}.
 *
 * <p>Layers are named by the prefix of their parameter names (for example {@code
 * 01SequentialBlock_02BatchNorm} in a DJL block, {@code bn1} or {@code layer1.0.bn2} in a
 * TorchScript module) and kept in forward order (a TorchScript module's parameter order). {@link #toString()} is a one-line
 * summary (layers, channels, minimum, mean, maximum); {@link #values(String)} gives the values.
 * Immutable.
 */
public final class ChannelMasks {

    private final Map<String, float[]> masks;

    /**
     * Creates the masks.
     *
     * @param masks the values per layer name, in forward order; copied
     * @throws IllegalArgumentException if a layer has no channels
     */
    public ChannelMasks(Map<String, float[]> masks) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> entry : masks.entrySet()) {
            Preconditions.checkArgument(
                    entry.getValue().length > 0, "layer %s has no channels", entry.getKey());
            copy.put(entry.getKey(), entry.getValue().clone());
        }
        this.masks = copy;
    }

    /**
     * Returns the names of the masked layers in forward order.
     *
     * @return an immutable list
     */
    public List<String> layers() {
        return List.copyOf(new ArrayList<>(masks.keySet()));
    }

    /**
     * Returns one layer's mask values.
     *
     * @param layer a name from {@link #layers()}
     * @return a copy, one value per channel
     * @throws IllegalArgumentException if the layer was not masked
     */
    public float[] values(String layer) {
        float[] values = masks.get(layer);
        Preconditions.checkArgument(values != null, "no masks for layer %s; masked: %s", layer,
                masks.keySet());
        return values.clone();
    }

    /**
     * Returns the number of masked channels over all layers.
     *
     * @return the count
     */
    public int channels() {
        return masks.values().stream().mapToInt(v -> v.length).sum();
    }

    /**
     * Returns the smallest mask value.
     *
     * @return the minimum over all channels, or NaN when no layer is masked
     */
    public double min() {
        return masks.values().stream()
                .flatMapToDouble(ChannelMasks::stream)
                .min()
                .orElse(Double.NaN);
    }

    /**
     * Returns the mean mask value.
     *
     * @return the mean over all channels, or NaN when no layer is masked
     */
    public double mean() {
        return masks.values().stream()
                .flatMapToDouble(ChannelMasks::stream)
                .average()
                .orElse(Double.NaN);
    }

    /**
     * Returns the largest mask value.
     *
     * @return the maximum over all channels, or NaN when no layer is masked
     */
    public double max() {
        return masks.values().stream()
                .flatMapToDouble(ChannelMasks::stream)
                .max()
                .orElse(Double.NaN);
    }

    private static java.util.stream.DoubleStream stream(float[] values) {
        return java.util.stream.IntStream.range(0, values.length).mapToDouble(i -> values[i]);
    }

    @Override
    public String toString() {
        return String.format(
                "%d layers, %d channels, min %.4f, mean %.4f, max %.4f",
                masks.size(), channels(), min(), mean(), max());
    }
}
