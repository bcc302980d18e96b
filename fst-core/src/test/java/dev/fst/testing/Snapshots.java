package dev.fst.testing;

import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.Map;

/** Host copies of a model's parameters, for comparing states bit by bit. */
public final class Snapshots {

    private Snapshots() {}

    /** Every parameter (BatchNorm running statistics included for DJL blocks) as float values. */
    public static Map<String, float[]> parameters(Model model) {
        Map<String, float[]> map = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            map.put(pair.getKey(), pair.getValue().getArray().toFloatArray());
        }
        return map;
    }

    /** Names of the parameters whose values differ between two snapshots. */
    public static java.util.List<String> changed(Map<String, float[]> before, Map<String, float[]> after) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (Map.Entry<String, float[]> entry : before.entrySet()) {
            if (!java.util.Arrays.equals(entry.getValue(), after.get(entry.getKey()))) {
                names.add(entry.getKey());
            }
        }
        return names;
    }
}
