package dev.fst.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code --device} and checks that this build can use the device before any model is
 * loaded: {@code cpu}, {@code gpu} (the first GPU), {@code gpu:N}, {@code gpuN} or {@code gpu(N)}.
 */
final class Devices {

    private static final Pattern GPU = Pattern.compile("gpu(?::(\\d+)|\\((\\d+)\\)|(\\d+))?");

    private Devices() {}

    /**
     * Parses a device name and checks that it is available.
     *
     * @param name the option's value
     * @return the device
     * @throws IllegalArgumentException naming the device and the build when it cannot be used
     */
    static Device parse(String name) {
        String value = name.strip().toLowerCase(java.util.Locale.ROOT);
        if (value.equals("cpu")) {
            return Device.cpu();
        }
        Matcher m = GPU.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("unknown --device '" + name + "'; use cpu, gpu or gpu:N");
        }
        String digits = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        int id = digits == null ? 0 : Integer.parseInt(digits);
        int gpus = Engine.getEngine("PyTorch").getGpuCount();
        if (gpus == 0) {
            throw new IllegalArgumentException("--device " + name + ": this build sees no GPU (it runs libtorch "
                    + Engine.getEngine("PyTorch").getVersion() + " from pytorch-native-cpu, or no NVIDIA driver is"
                    + " present); build with mvn -Pgpu for CUDA libtorch and run on a machine with an NVIDIA GPU, or"
                    + " use --device cpu");
        }
        if (id >= gpus) {
            throw new IllegalArgumentException("--device " + name + ": this machine has " + gpus + " GPU(s), numbered"
                    + " 0.." + (gpus - 1));
        }
        return Device.gpu(id);
    }
}
