package dev.fst.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import java.util.Random;

/**
 * Gives a head layer its starting values before tuning ("how the head starts").
 *
 * <p>The default, {@link #uniform()}, is PyTorch's {@code nn.Linear} default bound as the FST
 * reference uses it: every weight and bias value drawn independently from U(-1/sqrt(in), +1/sqrt(in)).
 * Values are drawn from the tuning run's seeded {@link Random} and copied into the live parameter
 * in place, so a run is reproducible and the model keeps its parameter objects.
 */
@FunctionalInterface
public interface HeadInitializer {

    /**
     * Overwrites the layer's weight and bias in place.
     *
     * @param layer the head layer to initialise
     * @param random the run's seeded random source
     */
    void initialize(HeadLayer layer, Random random);

    /**
     * U(-1/sqrt(in), +1/sqrt(in)) for weight and bias, the FST reference initialisation.
     *
     * @return the initializer
     */
    static HeadInitializer uniform() {
        return (layer, random) -> {
            float bound = (float) (1.0 / Math.sqrt(layer.inFeatures()));
            fillUniform(layer.weight(), bound, random);
            if (layer.bias() != null) {
                fillUniform(layer.bias(), bound, random);
            }
        };
    }

    /**
     * Overwrites a parameter in place with values drawn from U(-bound, +bound).
     *
     * @param parameter the parameter to overwrite
     * @param bound the half-width of the interval, {@code > 0}
     * @param random the source of the values
     */
    static void fillUniform(Parameter parameter, float bound, Random random) {
        NDArray target = parameter.getArray();
        float[] values = new float[Math.toIntExact(target.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (random.nextFloat() * 2f - 1f) * bound;
        }
        overwrite(target, values);
    }

    /**
     * Copies values into an existing array in place, keeping its identity, device and gradient
     * flag.
     *
     * @param target the array to overwrite
     * @param values row-major values, exactly {@code target.size()} of them
     */
    static void overwrite(NDArray target, float[] values) {
        try (NDArray fresh = target.getManager().create(values, target.getShape())) {
            target.set(new NDIndex("..."), fresh);
        }
    }
}
