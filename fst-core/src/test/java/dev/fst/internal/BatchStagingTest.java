package dev.fst.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.fst.data.Augmentation;
import dev.fst.testing.SyntheticImages;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchStagingTest {

    private static ImageSet images(NDManager manager) {
        return ImageSet.read(SyntheticImages.generate(20, 4, 8, 3).dataset(manager), manager);
    }

    @Test
    void channelsLastBatch_holdsTheSameValuesInTheSameShape() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ImageSet set = images(manager);
            int[] order = set.indexOrder();
            NDList plain = set.batch(manager, order, 3, 11, Augmentation.cropAndFlip(), new Random(5));
            NDList last = set.batch(manager, order, 3, 11, Augmentation.cropAndFlip(), new Random(5),
                    new BatchStaging(true));
            assertEquals(new Shape(8, 3, 8, 8), last.get(0).getShape());
            assertEquals(DataType.FLOAT32, last.get(0).getDataType());
            assertArrayEquals(plain.get(0).toFloatArray(), last.get(0).toFloatArray());
            assertEquals(DataType.INT64, last.get(1).getDataType());
            assertArrayEquals(plain.get(1).toLongArray(), last.get(1).toLongArray());
            // a convolution sees the same values either way
            assertArrayEquals(plain.get(0).mul(2).sum(new int[] {1}).toFloatArray(),
                    last.get(0).mul(2).sum(new int[] {1}).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void reusedStaging_leavesEarlierBatchesIntact() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ImageSet set = images(manager);
            int[] order = set.indexOrder();
            for (boolean channelsLast : new boolean[] {false, true}) {
                BatchStaging staging = new BatchStaging(channelsLast);
                NDList first = set.batch(manager, order, 0, 10, Augmentation.none(), new Random(1), staging);
                float[] expected = set.batch(manager, order, 0, 10, Augmentation.none(), new Random(1)).get(0)
                        .toFloatArray();
                NDList second = set.batch(manager, order, 10, 20, Augmentation.none(), new Random(1), staging);
                NDList smaller = set.batch(manager, order, 4, 6, Augmentation.none(), new Random(1), staging);
                assertArrayEquals(expected, first.get(0).toFloatArray(), "channelsLast=" + channelsLast);
                assertEquals(10, second.get(1).size());
                assertEquals(new Shape(2, 3, 8, 8), smaller.get(0).getShape());
                assertArrayEquals(new long[] {set.label(4), set.label(5)}, smaller.get(1).toLongArray());
            }
        }
    }

    @Test
    void staging_keepsDirectBufferMemoryFlatAcrossBatches() {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ImageSet set = images(manager);
            int[] order = set.indexOrder();
            BatchStaging staging = new BatchStaging(true);
            try (NDManager first = manager.newSubManager()) {
                set.batch(first, order, 0, 20, Augmentation.cropAndFlip(), new Random(2), staging);
            }
            long before = direct.getMemoryUsed();
            Random random = new Random(3);
            for (int i = 0; i < 50; i++) {
                try (NDManager step = manager.newSubManager()) {
                    set.batch(step, order, 0, 20, Augmentation.cropAndFlip(), random, staging);
                }
            }
            // DJL's create(float[]) would leave a 15 KiB direct buffer per batch until a collection
            assertEquals(before, direct.getMemoryUsed(), "direct buffer bytes after 50 staged batches");
        }
    }
}
