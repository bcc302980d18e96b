package dev.fst.tuning;

import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Every setting of a run, typed: the method's name, its own options, and the shared options as the
 * {@link TuningConfig} object itself (with its loss, optimizer and schedule strategies).
 *
 * @param method the method's name, for example {@code FST}
 * @param options the method's own options by name, in display order; for FST the {@code alpha} the
 *     run used
 * @param shared the shared options
 */
public record RunConfiguration(String method, Map<String, Object> options, TuningConfig shared) {

    /** Validates and copies. */
    public RunConfiguration {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(shared, "shared");
        options = ImmutableMap.copyOf(options);
    }

    /**
     * Returns the seed of the run.
     *
     * @return {@code shared().seed()}
     */
    public long seed() {
        return shared.seed();
    }

    /**
     * Returns the number of epochs of the run.
     *
     * @return {@code shared().epochs()}
     */
    public int epochs() {
        return shared.epochs();
    }

    /**
     * Returns one of the method's own options, checked against the type the caller expects.
     *
     * @param name the option's name, for example {@code alpha}
     * @param type its type, for example {@code Double.class}
     * @param <T> the type
     * @return the value
     * @throws IllegalArgumentException if the method has no such option, or it has another type
     */
    public <T> T option(String name, Class<T> type) {
        Object value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException(method + " has no option " + name + "; its options are "
                    + options.keySet());
        }
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException("option " + name + " of " + method + " is "
                    + value.getClass().getSimpleName() + " " + value + ", not " + type.getSimpleName());
        }
        return type.cast(value);
    }

    /**
     * Returns every setting by name, for reports: {@code method}, the method's options, then the
     * shared ones ({@link TuningConfig#toMap()}); a method option named like a shared one replaces
     * it.
     *
     * @return an ordered, modifiable map
     */
    public Map<String, Object> asMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("method", method);
        map.putAll(options);
        shared.toMap().forEach(map::putIfAbsent);
        return map;
    }

    @Override
    public String toString() {
        return asMap().toString();
    }
}
