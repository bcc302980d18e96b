/**
 * The benchmark: a grid of attacks x poisoning rates x defenses run through the backdoor lab, with
 * resumable CSV results, a JSON copy and a Markdown table in the layout of the FST paper's Table 2
 * ({@link dev.fst.bench.Benchmark}).
 */
package dev.fst.bench;
