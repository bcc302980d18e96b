/**
 * What the programs write for people to read: charts as PNG ({@link dev.fst.report.Charts}), shared by
 * the {@code purify} command's report and the benchmark's figures.
 */
package dev.fst.report;
