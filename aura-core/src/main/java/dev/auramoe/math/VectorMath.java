package dev.auramoe.math;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Objects;

/**
 * Validated vector operations on float arrays, dispatched to the fastest kernels available
 * (Vector API with {@code --add-modules jdk.incubator.vector}, else scalar). Range checks happen
 * here, once per call, never inside the loops.
 */
public final class VectorMath {

  private static final KernelSupport K = KernelProvider.get();

  private VectorMath() {}

  /** Name of the kernels in use. */
  public static String kernels() {
    return K.name();
  }

  /**
   * Checks a vector argument: {@code v} is not null, has length {@code n}, and every value is finite.
   * The one such check of the project's APIs, so that each refusal reads the same.
   *
   * @param what the argument's name in the message ("input x")
   * @throws NullPointerException for null
   * @throws IllegalArgumentException for another length, or naming the first non-finite value's index
   */
  public static void requireFinite(float[] v, int n, String what) {
    Objects.requireNonNull(v, what);
    if (v.length != n) {
      throw new IllegalArgumentException(what + " must have length " + n + ", got " + v.length);
    }
    if (K.allFinite(v, 0, n)) {
      return;
    }
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(v[i])) {
        throw new IllegalArgumentException(what + " has a non-finite value at index " + i + ": " + v[i]);
      }
    }
  }

  /**
   * {@code sum_i a[i] b[i]}.
   *
   * @param a not modified
   * @param b not modified, same length as a
   */
  public static float dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("length mismatch: " + a.length + " != " + b.length);
    }
    return K.dot(a, 0, b, 0, a.length);
  }

  /** {@code sum_i a[i]^2}. a not modified. */
  public static float sumOfSquares(float[] a) {
    return K.sumOfSquares(a, 0, a.length);
  }

  /** {@code y += alpha x}. x not modified; y modified. */
  public static void axpy(float alpha, float[] x, float[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException("length mismatch: " + x.length + " != " + y.length);
    }
    K.axpy(alpha, x, 0, y, 0, x.length);
  }

  /**
   * Input-major matrix-vector product {@code y[j] = sum_i x[i] w[i * cols + j]}.
   *
   * @param w rows x cols weights, not modified
   * @param x length rows, not modified
   * @param y length cols, overwritten (a new array when null)
   * @return y
   */
  public static float[] gemv(float[] w, int rows, int cols, float[] x, float[] y) {
    if (rows < 0 || cols < 0 || (long) rows * cols != w.length) {
      throw new IllegalArgumentException("w has " + w.length + " values, not " + rows + " x " + cols);
    }
    Objects.checkFromIndexSize(0, rows, x.length);
    if (y == null) {
      y = new float[cols];
    }
    if (y.length < cols) {
      throw new IllegalArgumentException("y must hold " + cols + " values");
    }
    if (y == x) {
      throw new IllegalArgumentException("y must not alias x");
    }
    K.gemv(w, rows, cols, x, 0, y, 0, false);
    return y;
  }
}
