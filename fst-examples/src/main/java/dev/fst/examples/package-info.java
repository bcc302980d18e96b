/**
 * Runnable programs. {@link dev.fst.examples.QuickstartDemo} plants a backdoor in a small CNN and
 * removes it with FST, printing clean accuracy and attack success rate before and after.
 */
package dev.fst.examples;
