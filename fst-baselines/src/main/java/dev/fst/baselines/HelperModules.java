package dev.fst.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import dev.fst.internal.EngineAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The small TorchScript modules this package ships as resources to reach PyTorch functions that
 * DJL does not expose ({@code autograd-grad.pt} for {@link TorchAutograd}, {@code
 * linear-inputs.pt} for {@link LinearInputs}; each is written by a script in {@code
 * fst-baselines/scripts}): loading them and calling them through DJL's IValue bridge.
 *
 * <p>The bridge groups the arrays of a call into list arguments by name ({@code name[]}), so the
 * arrays are renamed for the duration of the call and get their own names back afterwards.
 */
final class HelperModules {

    private HelperModules() {}

    /**
     * Loads a module from this package's resources into a manager of its own that is never
     * closed: call it once per JVM and keep the module. The modules have no parameters.
     *
     * @param resource the file name next to this class
     * @return the module
     * @throws IllegalStateException if the resource is missing
     * @throws UncheckedIOException if it cannot be read
     */
    static Block load(String resource) {
        NDManager manager = NDManager.newBaseManager("PyTorch");
        try (InputStream stream = HelperModules.class.getResourceAsStream(resource)) {
            if (stream == null) {
                throw new IllegalStateException(resource + " is missing from the classpath");
            }
            return EngineAdapter.readModule(stream, manager);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /**
     * Calls a module whose arguments are lists of tensors, with autograd as it is (a gradient
     * recording that is open records the call).
     *
     * @param module a module from {@link #load}
     * @param lists for each array, the name of the list argument it goes into, in the order of
     *     the module's arguments
     * @param arrays the arrays, in order within each list
     * @return the module's outputs, in the manager of the first array
     */
    static NDList call(Block module, List<String> lists, List<NDArray> arrays) {
        List<String> names = new ArrayList<>(arrays.size());
        arrays.forEach(a -> names.add(a.getName()));
        NDList call = new NDList(arrays.size());
        try {
            for (int i = 0; i < arrays.size(); i++) {
                NDArray array = arrays.get(i);
                array.setName(lists.get(i) + "[]");
                call.add(array);
            }
            return EngineAdapter.callModule(module, call);
        } finally {
            for (int i = 0; i < arrays.size(); i++) {
                arrays.get(i).setName(names.get(i));
            }
        }
    }
}
