/**
 * The speed comparison of issue 7: the same FST purification run by this library
 * ({@link dev.fst.perf.JavaPurifyRun}) and by a plain PyTorch script
 * ({@code src/main/python/fst_reference.py}), alternated in child processes on one synthetic tuning
 * set, with images per second, peak resident memory and the FLOP floor reported side by side
 * ({@link dev.fst.perf.SpeedBenchmark}).
 */
package dev.fst.perf;
