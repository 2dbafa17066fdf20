package dev.auramoe.seq.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded samples of a data set's indices: the one rule behind every {@code --train-size}/{@code --test-size}. */
public final class Samples {

  private Samples() {}

  /**
   * {@code size} distinct indices of {@code 0 .. total - 1}, drawn without replacement from {@code seed}
   * (a partial Fisher-Yates shuffle) and returned in increasing order, so that a subset keeps the data
   * set's order.
   *
   * @throws IllegalArgumentException when size is not in [0, total]
   */
  public static int[] sorted(int total, int size, long seed) {
    if (size < 0 || size > total) {
      throw new IllegalArgumentException("a sample of " + size + " from " + total + " items");
    }
    int[] all = new int[total];
    for (int i = 0; i < total; i++) {
      all[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      int j = i + r.nextInt(total - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    int[] kept = Arrays.copyOf(all, size);
    Arrays.sort(kept);
    return kept;
  }
}
