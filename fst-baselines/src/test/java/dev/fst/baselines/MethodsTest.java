package dev.fst.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fst.FeatureShiftTuner;
import dev.fst.PenaltyScale;
import dev.fst.tuning.AbstractPurifier;
import dev.fst.tuning.Purifier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry of methods: names, spec strings, every option, and the errors. */
class MethodsTest {

    @Test
    void everyName_resolves_inEveryKnownSpelling() {
        assertEquals(List.of("ft", "lp", "fe-tuning", "ft-init", "ft-sam", "ngf", "anp", "i-bau", "nft", "fst",
                "fst-paper", "pam", "fst-pam"), Methods.NAMES);
        for (String name : Methods.NAMES) {
            Purifier purifier = Methods.parse(name);
            assertEquals(name, Methods.canonical(Methods.displayName(name)), name);
            assertEquals(name, Methods.canonical(name.toUpperCase()), name);
            assertTrue(Methods.builderType(name).getSimpleName().equals("Builder"), name);
            assertTrue(purifier.name().startsWith(Methods.displayName(name).replace(" (paper)", "")), name);
        }
        assertEquals("ft-sam", Methods.canonical("FT+SAM"));
        assertEquals("i-bau", Methods.canonical("I-BAU"));
        assertEquals("fst-pam", Methods.canonical("FST+PAM"));
    }

    /** A value each option type accepts and the builder keeps, as the spec writes it. */
    private static String sample(Class<?> type) {
        if (type == int.class || type == long.class) {
            return "3";
        }
        if (type == double.class) {
            return "0.25";
        }
        if (type == double[].class) {
            return "8/2";
        }
        if (type == boolean.class) {
            return "false";
        }
        if (type.isEnum()) {
            return type.getEnumConstants()[type.getEnumConstants().length - 1].toString().toLowerCase();
        }
        if (type.getSimpleName().equals("Device")) {
            return "cpu";
        }
        if (type.getSimpleName().equals("Augmentation")) {
            return "crop:2-flip";
        }
        if (type.getSimpleName().equals("LearningRateSchedule")) {
            return "constant";
        }
        return "auto";
    }

    @Test
    void everyOption_ofEveryMethod_isReachable_andRoundTripsIntoTheConfiguration() {
        for (String name : Methods.NAMES) {
            Map<String, Class<?>> options = Methods.options(name);
            assertTrue(options.containsKey("epochs") && options.containsKey("seed"), name + ": " + options);
            for (Map.Entry<String, Class<?>> option : options.entrySet()) {
                String key = option.getKey();
                if (name.startsWith("fst") && !name.equals("fst-pam") && key.equals("autoAlpha")) {
                    continue; // contradicts a fixed alpha only when both are given; alone it is checked below
                }
                String value = sample(option.getValue());
                String spec = name + ":" + key + "=" + value;
                Purifier purifier;
                try {
                    purifier = Methods.parse(spec);
                } catch (IllegalArgumentException e) {
                    // a sample value outside this option's range is refused with the option's own message
                    assertTrue(e.getMessage().startsWith(name + ": "), spec + ": " + e.getMessage());
                    continue;
                }
                Map<String, Object> configuration = ((AbstractPurifier) purifier).configuration();
                if (configuration.containsKey(key) && option.getValue() != double[].class) {
                    assertEquals(value.replace("crop:2-flip", "crop(padding=2, flip=true)"),
                            String.valueOf(configuration.get(key)).toLowerCase().replace("()", ""), spec);
                }
            }
        }
        FeatureShiftTuner auto = (FeatureShiftTuner) Methods.parse("fst:autoAlpha=8/2,penaltyScale=paper");
        assertEquals(List.of(8.0, 2.0), auto.alphaCandidates());
        assertEquals(PenaltyScale.PAPER, auto.penaltyScale());
        FeatureShiftTuner fixed = (FeatureShiftTuner) Methods.parse("FST:alpha=0.1, epochs=3");
        assertEquals(0.1, fixed.alpha());
        assertEquals(3, fixed.config().epochs());
        assertEquals(0.2, ((FeatureShiftTuner) Methods.parse("fst-paper")).alpha());
    }

    @Test
    void badSpecs_nameWhatIsWrong_andListTheValidChoices() {
        String unknown = assertThrows(IllegalArgumentException.class, () -> Methods.parse("fsx")).getMessage();
        assertEquals("unknown method 'fsx'; use one of " + String.join(", ", Methods.NAMES), unknown);
        String option = assertThrows(IllegalArgumentException.class, () -> Methods.parse("fst:alhpa=0.2"))
                .getMessage();
        assertTrue(option.startsWith("unknown option 'alhpa' of fst; options: "), option);
        assertTrue(option.contains("alpha") && option.contains("epochs"), option);
        assertEquals("option epochs of ft needs an integer but was 'ten'",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("ft:epochs=ten")).getMessage());
        assertEquals("fst: alpha must be a finite number >= 0 but was -1.0",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("fst:alpha=-1")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Methods.parse("ft:epochs=2,epochs=3"))
                .getMessage().contains("given twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Methods.parse("ft:epochs"))
                .getMessage().startsWith("option 'epochs' of ft must be OPTION=VALUE"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Methods.parse("fst:device=tpu"))
                .getMessage().contains("must be cpu, gpu or gpu:N but was 'tpu'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Methods.parse(" ")).getMessage()
                .startsWith("a method spec must not be empty"));
    }
}
