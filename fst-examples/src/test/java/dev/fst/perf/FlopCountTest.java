package dev.fst.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import dev.fst.lab.model.Architecture;
import org.junit.jupiter.api.Test;

class FlopCountTest {

    @Test
    void smallCnn_countsEveryConvolutionAndTheHead() {
        long macs = 32L * 32 * 32 * 3 * 9      // conv 3->32 at 32x32
                + 16L * 16 * 64 * 32 * 9         // conv 32->64 at 16x16
                + 8L * 8 * 64 * 64 * 9           // conv 64->64 at 8x8
                + 8L * 8 * 128 * 64 * 9          // conv 64->128 at 8x8
                + 128L * 10;                     // head
        try (Model model = Architecture.SMALL_CNN.newModel(10, 32, 1, Device.cpu())) {
            assertEquals(2 * macs, FlopCount.forwardFlopsPerImage(model.getBlock(), new Shape(3, 32, 32)));
            assertEquals(6 * macs, FlopCount.trainingFlopsPerImage(model.getBlock(), new Shape(3, 32, 32)));
        }
    }

    @Test
    void resnet18_walksResidualBranches() {
        try (Model model = Architecture.RESNET18.newModel(10, 32, 1, Device.cpu())) {
            long flops = FlopCount.forwardFlopsPerImage(model.getBlock(), new Shape(3, 32, 32));
            // the CIFAR ResNet-18 is about 0.56 G multiply-adds per image
            assertTrue(flops > 1.10e9 && flops < 1.12e9, "forward FLOPs " + flops);
        }
    }
}
