package dev.auramoe.snn;

/** What the finite-difference checks of this module's tests share. */
final class Doubles {

  private Doubles() {}

  /** The values widened to double. */
  static double[] of(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /** sum_i a[i] b[i]: a loss that weighs each output by a fixed coefficient. */
  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
