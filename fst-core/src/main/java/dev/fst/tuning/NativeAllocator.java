package dev.fst.tuning;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps glibc's allocator from handing tensor memory back to the kernel between mini-batches.
 *
 * <p>libtorch allocates every activation and gradient with {@code malloc}. A JVM calls libtorch from
 * a thread other than the process's first, so glibc serves it from a secondary arena: blocks above
 * the mmap threshold are mapped and unmapped on every step, and freed heap tops are trimmed, so each
 * mini-batch page-faults part of its working set in again. Since the forward pass releases its
 * intermediates ({@code ReleasingForward}) this no longer measures faster on the lab's small CNN
 * and costs peak memory ({@code docs/performance.md}), so it is off by default ({@code
 * allocatorTuning} in {@link TuningConfig}).
 *
 * <p>{@link #keepFreedMemory()} raises the mmap threshold to glibc's maximum, 32 MiB, and the trim
 * threshold to 1 GiB, for the whole process and for good ({@code mallopt}); {@link #releaseFreedMemory()}
 * returns what is free to the kernel ({@code malloc_trim}) after a run, so resident memory drops back.
 * Both do nothing off Linux or without glibc.
 */
final class NativeAllocator {

    private static final Logger logger = LoggerFactory.getLogger(NativeAllocator.class);
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int MMAP_THRESHOLD_MAX = 32 << 20;
    private static final int TRIM_THRESHOLD = 1 << 30;
    private static final Glibc GLIBC = load();

    private NativeAllocator() {}

    /** The two glibc functions used. */
    interface Glibc extends Library {
        int mallopt(int param, int value);

        int malloc_trim(long pad);
    }

    private static Glibc load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Native.load("c", Glibc.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            logger.debug("glibc's mallopt is not available ({}); the allocator keeps its settings", e.toString());
            return null;
        }
    }

    /**
     * Applies the settings; idempotent.
     *
     * @return whether glibc accepted them
     */
    static boolean keepFreedMemory() {
        if (GLIBC == null) {
            return false;
        }
        try {
            boolean mmap = GLIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1;
            boolean trim = GLIBC.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1;
            return mmap && trim;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    /** Returns free memory to the kernel, so the process shrinks after a run. */
    static void releaseFreedMemory() {
        if (GLIBC != null) {
            try {
                GLIBC.malloc_trim(0);
            } catch (UnsatisfiedLinkError e) {
                // not glibc: nothing to release
            }
        }
    }
}
