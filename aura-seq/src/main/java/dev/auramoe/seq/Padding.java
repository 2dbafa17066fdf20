package dev.auramoe.seq;

/** The checks of left padding ({@link SequenceLayer}): each sequence's first real step. */
final class Padding {

  private Padding() {}

  /** Refuses a first step outside [0, steps), naming the sequence; null means no padding. */
  static void check(int[] first, int batch, int steps) {
    if (first == null) {
      return;
    }
    if (first.length < batch) {
      throw new IllegalArgumentException(batch + " sequences need " + batch + " first steps, got " + first.length);
    }
    for (int r = 0; r < batch; r++) {
      if (first[r] < 0 || first[r] >= steps) {
        throw new IllegalArgumentException("first step " + first[r] + " of sequence " + r + " is outside [0, "
            + steps + ")");
      }
    }
  }

  /**
   * Refuses a non-finite input at a real step, naming feature, step and sequence (padding is
   * ignored, whatever it holds).
   */
  static void checkInputs(float[] x, int[] first, int batch, int steps, int features) {
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        if (t < SequenceInputs.first(first, r)) {
          continue;
        }
        int o = (t * batch + r) * features;
        for (int i = 0; i < features; i++) {
          if (!Float.isFinite(x[o + i])) {
            throw new IllegalArgumentException("input " + i + " at step " + t + " of sequence " + r
                + " is not finite: " + x[o + i]);
          }
        }
      }
    }
  }
}
