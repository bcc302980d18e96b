package dev.fst.lab.attack;

import ai.djl.Model;
import java.util.List;
import java.util.Locale;

/** Creates the lab's attacks by their command-line names. */
public final class Attacks {

    /** Every name {@link #create} accepts. */
    public static final List<String> NAMES =
            List.of("badnet", "badnet-grid", "blended", "sig", "wanet", "lc", "adaptive-blend");

    private Attacks() {}

    /**
     * Returns whether the named attack needs a surrogate model (Label-Consistent).
     *
     * @param name an attack name
     * @return {@code true} for {@code lc}
     */
    public static boolean needsSurrogate(String name) {
        return "lc".equals(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Creates an attack with the reference settings.
     *
     * @param name one of {@link #NAMES}, case-insensitive
     * @param target the target class, {@code >= 0}
     * @param surrogate the model Label-Consistent crafts its perturbations against; ignored by the
     *     other attacks, may be {@code null} for them
     * @return the attack
     * @throws IllegalArgumentException for an unknown name, naming the valid ones
     */
    public static Attack create(String name, int target, Model surrogate) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "badnet" -> new BadNet(BadNet.Patch.WHITE, target);
            case "badnet-grid" -> new BadNet(BadNet.Patch.GRID, target);
            case "blended" -> new Blended(target);
            case "sig" -> new Sig(target);
            case "wanet" -> new WaNet(target);
            case "lc" -> {
                if (surrogate == null) {
                    throw new IllegalArgumentException("the lc attack needs a surrogate model");
                }
                yield new LabelConsistent(surrogate, target);
            }
            case "adaptive-blend" -> new AdaptiveBlend(target);
            default -> throw new IllegalArgumentException(
                    "unknown attack '" + name + "'; use one of " + String.join(", ", NAMES));
        };
    }
}
