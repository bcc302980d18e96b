package dev.fst.internal;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run ran on: the one environment capture of the project, used by results, the lab's model
 * store, the benchmark, the speed comparison and {@code fst --version}.
 */
public final class Environment {

    private Environment() {}

    /**
     * Captures the versions and the machine.
     *
     * @param engine the engine the run used
     * @return {@code djl}, {@code engine}, {@code engineVersion}, {@code java}, {@code os} and
     *     {@code cores}, in that order
     */
    public static Map<String, String> capture(Engine engine) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("djl", Engine.getDjlVersion());
        env.put("engine", engine.getEngineName());
        env.put("engineVersion", engine.getVersion());
        env.put("java", System.getProperty("java.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        return env;
    }

    /**
     * Describes the versions in one line.
     *
     * @param engine the engine
     * @return for example {@code DJL 0.35.1, PyTorch 2.7.1, Java 17.0.15}
     */
    public static String versions(Engine engine) {
        Map<String, String> env = capture(engine);
        return "DJL " + env.get("djl") + ", " + env.get("engine") + " " + env.get("engineVersion") + ", Java "
                + env.get("java");
    }

    /**
     * Describes the machine in one line.
     *
     * @return for example {@code Linux amd64, 2 cores}
     */
    public static String machine() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
