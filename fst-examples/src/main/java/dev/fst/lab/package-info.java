/**
 * The backdoor lab's main job: {@link dev.fst.lab.BackdoorLab} generates or loads the data, plants a
 * backdoor, trains (or reuses) the backdoored model, purifies it with FT and FST and prints the
 * before/after table; {@link dev.fst.lab.LabOptions} holds its settings.
 */
package dev.fst.lab;
