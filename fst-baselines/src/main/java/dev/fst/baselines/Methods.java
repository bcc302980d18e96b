package dev.fst.baselines;

import ai.djl.Device;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.fst.FeatureShiftTuner;
import dev.fst.data.Augmentation;
import dev.fst.head.HeadSelector;
import dev.fst.optim.LearningRateSchedule;
import dev.fst.tuning.Purifier;
import dev.fst.tuning.TunerBuilder;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Every purification method by name, configured from one spec string, in the manner of Caffeine's
 * {@code CaffeineSpec}: {@code NAME[:OPTION=VALUE,OPTION=VALUE...]}, for example {@code fst},
 * {@code fst:alpha=0.2,epochs=10} or {@code anp:epochs=20,eps=0.4}.
 *
 * <p>Names (case-insensitive; the paper's spellings such as {@code FT+SAM} work too): {@code ft},
 * {@code lp}, {@code fe-tuning}, {@code ft-init}, {@code ft-sam}, {@code ngf}, {@code anp}, {@code
 * i-bau}, {@code nft}, {@code fst} (the stable defaults), {@code fst-paper} (the paper's exact
 * algorithm, {@link FeatureShiftTuner#paperBuilder()}), {@code pam} and {@code fst-pam}. Options are the names of the method's builder setters, every
 * one of them reachable (found by reflection, so a new builder option needs no change here):
 * numbers and booleans ({@code true}/{@code false}), {@code head=auto} or {@code
 * head=classifier.0+classifier.6} (names joined by {@code +}), {@code device=cpu|gpu|gpu:N},
 * {@code augmentation=none|flip|crop-flip|crop:P|crop:P-flip}, {@code schedule=cosine|constant},
 * lists of numbers joined by {@code /}
 * ({@code fst:autoAlpha=8/2}), and enum values by name ({@code fst:penaltyScale=cosine}). Each option
 * is validated at once by its builder: an unknown method or option, a value that does not parse, a
 * value out of range or an option given twice is an {@link IllegalArgumentException} that lists
 * the valid names or gives the valid range.
 */
public final class Methods {

    /** A method: its spec name, its name in results and tables, and its builder. */
    private record Entry(String name, String display, Supplier<TunerBuilder<?>> builder, Method build) {}

    private static final ImmutableMap<String, Entry> ENTRIES = entries();

    /** Every method's spec name, in the order of the paper's Table 2 (FST last). */
    public static final ImmutableList<String> NAMES = ImmutableList.copyOf(ENTRIES.keySet());

    private Methods() {}

    private static ImmutableMap<String, Entry> entries() {
        Map<String, Entry> map = new LinkedHashMap<>();
        add(map, "ft", FineTuner.NAME, FineTuner::builder);
        add(map, "lp", LinearProbe.NAME, LinearProbe::builder);
        add(map, "fe-tuning", FeatureExtractorTuner.NAME, FeatureExtractorTuner::builder);
        add(map, "ft-init", FtInitTuner.NAME, FtInitTuner::builder);
        add(map, "ft-sam", SharpnessAwareTuner.NAME, SharpnessAwareTuner::builder);
        add(map, "ngf", NaturalGradientTuner.NAME, NaturalGradientTuner::builder);
        add(map, "anp", AdversarialNeuronPruner.NAME, AdversarialNeuronPruner::builder);
        add(map, "i-bau", ImplicitBackdoorUnlearner.NAME, ImplicitBackdoorUnlearner::builder);
        add(map, "nft", NeuralMaskFineTuner.NAME, NeuralMaskFineTuner::builder);
        add(map, "fst", FeatureShiftTuner.NAME, FeatureShiftTuner::builder);
        add(map, "fst-paper", "FST (paper)", FeatureShiftTuner::paperBuilder);
        add(map, "pam", PathAwareMinimizer.NAME, PathAwareMinimizer::builder);
        add(map, "fst-pam", FstPamTuner.NAME, FstPamTuner::builder);
        return ImmutableMap.copyOf(map);
    }

    private static void add(Map<String, Entry> map, String name, String display, Supplier<? extends TunerBuilder<?>> builder) {
        Class<?> type = builder.get().getClass();
        try {
            Method build = type.getMethod("build");
            map.put(name, new Entry(name, display, builder::get, build));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no build()", e);
        }
    }

    /**
     * Returns the spec name of a method given by any of its spellings.
     *
     * @param name a spec name or the paper's name, any case ({@code FT+SAM}, {@code i-bau}, ...)
     * @return the spec name
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    public static String canonical(String name) {
        String key = name.strip().toLowerCase(Locale.ROOT).replace('+', '-').replace('_', '-');
        if (ENTRIES.containsKey(key)) {
            return key;
        }
        for (Entry entry : ENTRIES.values()) {
            if (entry.display().equalsIgnoreCase(name.strip())) {
                return entry.name();
            }
        }
        throw new IllegalArgumentException("unknown method '" + name + "'; use one of " + String.join(", ", NAMES));
    }

    /**
     * Returns a method's name as results and tables show it (the paper's spelling).
     *
     * @param name any spelling of the method
     * @return for example {@code FT+SAM}
     * @throws IllegalArgumentException for an unknown name
     */
    public static String displayName(String name) {
        return ENTRIES.get(canonical(name)).display();
    }

    /**
     * Returns the class of a method's builder.
     *
     * @param name any spelling of the method
     * @return for example {@code FeatureShiftTuner.Builder.class}
     * @throws IllegalArgumentException for an unknown name
     */
    public static Class<?> builderType(String name) {
        return ENTRIES.get(canonical(name)).builder().get().getClass();
    }

    /**
     * Returns the options a method's spec accepts, by name, with the type of their value.
     *
     * @param name any spelling of the method
     * @return option name to value type, sorted by name
     * @throws IllegalArgumentException for an unknown name
     */
    public static Map<String, Class<?>> options(String name) {
        Map<String, Class<?>> options = new TreeMap<>();
        setters(ENTRIES.get(canonical(name)).builder().get().getClass())
                .forEach((option, setter) -> options.put(option, setter.getParameterTypes()[0]));
        return options;
    }

    /**
     * Builds the purifier a spec describes.
     *
     * @param spec {@code NAME[:OPTION=VALUE,...]}
     * @return the configured purifier
     * @throws IllegalArgumentException naming what is wrong: an unknown method or option (with the
     *     valid ones), a value that does not parse or is out of range, an option set twice
     */
    public static Purifier parse(String spec) {
        return parse(spec, builder -> { });
    }

    /**
     * Builds the purifier a spec describes, after giving the caller its builder for settings a
     * spec cannot carry (listeners) or that every method of a run shares (seed, device); options
     * in the spec must not repeat those.
     *
     * @param spec {@code NAME[:OPTION=VALUE,...]}
     * @param common applied to the builder before the spec's options
     * @return the configured purifier
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Purifier parse(String spec, Consumer<TunerBuilder<?>> common) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("a method spec must not be empty; use one of " + String.join(", ", NAMES));
        }
        int colon = spec.indexOf(':');
        String name = canonical(colon < 0 ? spec : spec.substring(0, colon));
        Entry entry = ENTRIES.get(name);
        TunerBuilder<?> builder = entry.builder().get();
        common.accept(builder);
        Map<String, Method> setters = setters(builder.getClass());
        if (colon >= 0 && !spec.substring(colon + 1).isBlank()) {
            for (String part : spec.substring(colon + 1).split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("option '" + part.strip() + "' of " + name
                            + " must be OPTION=VALUE; options: " + String.join(", ", setters.keySet()));
                }
                String option = part.substring(0, eq).strip();
                String value = part.substring(eq + 1).strip();
                Method setter = setters.get(option);
                if (setter == null) {
                    throw new IllegalArgumentException("unknown option '" + option + "' of " + name + "; options: "
                            + String.join(", ", setters.keySet()));
                }
                apply(builder, setter, name, option, value);
            }
        }
        try {
            return (Purifier) entry.build().invoke(builder);
        } catch (InvocationTargetException e) {
            throw rethrow(name, "build", e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void apply(TunerBuilder<?> builder, Method setter, String method, String option, String value) {
        Object argument = convert(setter.getParameterTypes()[0], method, option, value);
        try {
            setter.invoke(builder, argument);
        } catch (InvocationTargetException e) {
            throw rethrow(method, option, e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RuntimeException rethrow(String method, String option, Throwable cause) {
        if (cause instanceof IllegalStateException state) {
            return new IllegalArgumentException(method + ": " + state.getMessage() + " (option " + option
                    + " given twice)", state);
        }
        if (cause instanceof IllegalArgumentException argument) {
            return new IllegalArgumentException(method + ": " + argument.getMessage(), argument);
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(cause);
    }

    private static Object convert(Class<?> type, String method, String option, String value) {
        String what = "option " + option + " of " + method;
        try {
            if (type == int.class) {
                return Integer.parseInt(value);
            }
            if (type == long.class) {
                return Long.parseLong(value);
            }
            if (type == double.class) {
                return Double.parseDouble(value);
            }
            if (type == double[].class) {
                return Arrays.stream(value.split("/")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " needs " + (type == double.class ? "a number"
                    : type == double[].class ? "numbers joined by /" : "an integer")
                    + " but was '" + value + "'", e);
        }
        if (type == boolean.class) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "true", "on", "yes" -> true;
                case "false", "off", "no" -> false;
                default -> throw new IllegalArgumentException(what + " needs true or false but was '" + value + "'");
            };
        }
        if (type == HeadSelector.class) {
            return value.equalsIgnoreCase("auto") ? HeadSelector.auto() : HeadSelector.named(value.split("\\+"));
        }
        if (type == Device.class) {
            return device(what, value);
        }
        if (type == Augmentation.class) {
            return augmentation(what, value);
        }
        if (type == LearningRateSchedule.class) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "cosine" -> LearningRateSchedule.cosine();
                case "constant" -> LearningRateSchedule.constant();
                default -> throw new IllegalArgumentException(
                        what + " must be cosine or constant but was '" + value + "'");
            };
        }
        if (type.isEnum()) {
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equalsIgnoreCase(value.replace('-', '_'))) {
                    return constant;
                }
            }
            throw new IllegalArgumentException(what + " must be one of " + Arrays.toString(type.getEnumConstants())
                    + " but was '" + value + "'");
        }
        throw new IllegalStateException(what + " has a value type no spec can give: " + type.getName());
    }

    private static Device device(String what, String value) {
        String v = value.toLowerCase(Locale.ROOT);
        if (v.equals("cpu")) {
            return Device.cpu();
        }
        if (v.equals("gpu")) {
            return Device.gpu();
        }
        if (v.matches("gpu:\\d+")) {
            return Device.gpu(Integer.parseInt(v.substring(4)));
        }
        throw new IllegalArgumentException(what + " must be cpu, gpu or gpu:N but was '" + value + "'");
    }

    private static Augmentation augmentation(String what, String value) {
        String v = value.toLowerCase(Locale.ROOT);
        if (v.equals("none")) {
            return Augmentation.none();
        }
        if (v.equals("flip")) {
            return Augmentation.crop(0, true);
        }
        if (v.equals("crop-flip")) {
            return Augmentation.cropAndFlip();
        }
        if (v.matches("crop:\\d+(-flip)?")) {
            int padding = Integer.parseInt(v.substring(5).replace("-flip", ""));
            return Augmentation.crop(padding, v.endsWith("-flip"));
        }
        throw new IllegalArgumentException(what + " must be none, flip, crop-flip, crop:P or crop:P-flip but was '"
                + value + "'");
    }

    /**
     * The builder's options: public one-argument setters that return a builder, of a value type a
     * spec can carry (listeners and custom initialisers cannot be written in a string).
     */
    private static Map<String, Method> setters(Class<?> builder) {
        Map<String, Method> setters = new TreeMap<>();
        for (Method method : builder.getMethods()) {
            if (Modifier.isStatic(method.getModifiers()) || method.getParameterCount() != 1
                    || !TunerBuilder.class.isAssignableFrom(method.getReturnType())) {
                continue;
            }
            Class<?> type = method.getParameterTypes()[0];
            boolean supported = type == int.class || type == long.class || type == double.class
                    || type == double[].class || type == boolean.class || type == HeadSelector.class || type == Device.class
                    || type == Augmentation.class || type == LearningRateSchedule.class || type.isEnum();
            if (supported) {
                setters.put(method.getName(), method);
            }
        }
        return setters;
    }

    /**
     * Returns the methods' spec names that a caller can list, with their display names.
     *
     * @return spec name to display name, in {@link #NAMES} order
     */
    public static Map<String, String> displayNames() {
        Map<String, String> names = new LinkedHashMap<>();
        ENTRIES.values().forEach(e -> names.put(e.name(), e.display()));
        return names;
    }

    /**
     * Lists every method with its options, one line each, for help texts.
     *
     * @return lines such as {@code fst (FST): alpha, batchSize, ...}
     */
    public static List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (Entry entry : ENTRIES.values()) {
            lines.add(entry.name() + " (" + entry.display() + "): "
                    + String.join(", ", setters(entry.builder().get().getClass()).keySet()));
        }
        return lines;
    }
}
