/**
 * Backdoor attacks with the FST reference's settings: BadNet (white and checkerboard patch),
 * Blended, SIG, WaNet, Label-Consistent and Adaptive-Blend, all-to-one, behind {@link
 * dev.fst.lab.attack.Attack}; {@link dev.fst.lab.attack.Attacks} creates them by name.
 */
package dev.fst.lab.attack;
