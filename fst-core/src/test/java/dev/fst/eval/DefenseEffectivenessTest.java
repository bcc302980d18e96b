package dev.fst.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DefenseEffectivenessTest {

    @Test
    void rating_handComputedCases() {
        // ASR 95 % -> 5 %, accuracy 92 % -> 90 %: (0.90 - 0.02 + 1) / 2
        assertEquals(0.94, DefenseEffectiveness.rating(0.95, 0.05, 0.92, 0.90), 1e-12);
        // everything removed at no cost
        assertEquals(1.0, DefenseEffectiveness.rating(1, 0, 0.9, 0.9));
        // nothing changed
        assertEquals(0.5, DefenseEffectiveness.rating(0.8, 0.8, 0.9, 0.9));
        // a rise in ASR or accuracy counts as 0, not as a penalty or a bonus
        assertEquals(0.5, DefenseEffectiveness.rating(0.1, 0.3, 0.8, 0.95));
        // the backdoor kept and all accuracy lost
        assertEquals(0.0, DefenseEffectiveness.rating(1, 1, 1, 0));
        // ASR removed by destroying the model: the simplified form scores it 0.5, the buggy helper 1.5
        assertEquals(0.5, DefenseEffectiveness.rating(1, 0, 1, 0));
    }

    @Test
    void rating_fromRates() {
        assertEquals(0.94, DefenseEffectiveness.rating(
                new Rate(95, 100), new Rate(5, 100), new Rate(92, 100), new Rate(90, 100)), 1e-12);
    }

    @Test
    void rating_refusesValuesThatAreNotFractions() {
        assertEquals("asrBackdoored must be a fraction in [0, 1] but was 1.5",
                assertThrows(IllegalArgumentException.class,
                        () -> DefenseEffectiveness.rating(1.5, 0, 1, 1)).getMessage());
        assertEquals("asrDefended must be a fraction in [0, 1] but was -0.1",
                assertThrows(IllegalArgumentException.class,
                        () -> DefenseEffectiveness.rating(1, -0.1, 1, 1)).getMessage());
        assertEquals("accuracyBackdoored must be a fraction in [0, 1] but was NaN",
                assertThrows(IllegalArgumentException.class,
                        () -> DefenseEffectiveness.rating(1, 0, Double.NaN, 1)).getMessage());
        assertEquals("accuracyDefended must be a fraction in [0, 1] but was 95.0",
                assertThrows(IllegalArgumentException.class,
                        () -> DefenseEffectiveness.rating(1, 0, 1, 95)).getMessage());
        assertEquals("asrDefended measured no images (NaN% (0/0))",
                assertThrows(IllegalArgumentException.class, () -> DefenseEffectiveness.rating(
                        new Rate(1, 1), new Rate(0, 0), new Rate(1, 1), new Rate(1, 1))).getMessage());
        assertEquals("accuracyDefended must not be null",
                assertThrows(IllegalArgumentException.class, () -> DefenseEffectiveness.rating(
                        new Rate(1, 1), new Rate(0, 1), new Rate(1, 1), null)).getMessage());
    }
}
