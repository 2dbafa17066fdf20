package dev.auramoe.seq;

import java.util.Arrays;
import java.util.Random;

/**
 * The memory task of the end-to-end tests, two channels, time-major: channel 0 carries the label's
 * sign at each sequence's first real step and is 0 elsewhere, channel 1 is Gaussian noise at every
 * real step; the class, the first input's sign, is to be read at the last step. Chance is 50%.
 */
final class MemoryTask {

  final float[] x;
  final float[] elapsed;
  /** Each sequence's first real step. */
  final int[] first;
  final int[] labels;
  final int batch;

  private MemoryTask(int batch, int steps, boolean padded, float gap, Random r) {
    this.batch = batch;
    this.x = new float[steps * batch * 2];
    this.elapsed = new float[steps * batch];
    this.first = new int[batch];
    this.labels = new int[batch];
    if (!padded) {
      Arrays.fill(elapsed, gap);
    }
    for (int s = 0; s < batch; s++) {
      first[s] = padded ? s % 5 : 0;
      labels[s] = r.nextBoolean() ? 1 : 0;
      x[(first[s] * batch + s) * 2] = labels[s] == 1 ? 1f : -1f;
      for (int t = 0; t < steps; t++) {
        x[(t * batch + s) * 2 + 1] = t < first[s] ? Float.NaN : (float) r.nextGaussian();
        if (padded) {
          elapsed[t * batch + s] = 0.05f + 0.3f * r.nextFloat();
        }
      }
    }
  }

  /** Every sequence starts at step 0; every elapsed time is {@code gap}. */
  static MemoryTask regular(int batch, int steps, float gap, Random r) {
    return new MemoryTask(batch, steps, false, gap, r);
  }

  /**
   * Left padding: sequence s starts at step {@code s % 5}, its inputs before are NaN (a layer must
   * not read them); elapsed times irregular, uniform in [0.05, 0.35) s, at every step.
   */
  static MemoryTask padded(int batch, int steps, Random r) {
    return new MemoryTask(batch, steps, true, Float.NaN, r);
  }
}
