/**
 * Concept-drift detectors for a stream of per-instance errors or losses: {@link
 * dev.auramoe.stream.drift.Adwin} (adaptive windowing, Bifet &amp; Gavaldà 2007) and {@link
 * dev.auramoe.stream.drift.PageHinkley} (the Page-Hinkley test for an increase of the mean), both
 * behind {@link dev.auramoe.stream.drift.DriftDetector}, whose {@code update} allocates nothing.
 * {@link dev.auramoe.stream.drift.DriftEvaluation} runs a detector over a stream with known drift
 * points and reports detection delays, misses and false alarms as a {@link
 * dev.auramoe.stream.drift.DriftReport}.
 */
package dev.auramoe.stream.drift;
