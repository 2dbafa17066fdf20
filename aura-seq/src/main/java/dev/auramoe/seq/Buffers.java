package dev.auramoe.seq;

/**
 * The workspaces of this module's layers: arrays that grow to the largest shape seen and are then
 * reused, and the transposed copies the backward passes' products read.
 */
final class Buffers {

  private Buffers() {}

  /** a when it holds n values, else a new array of n. */
  static float[] grow(float[] a, int n) {
    return a.length >= n ? a : new float[n];
  }

  /** a when it holds n values, else a new array of n. */
  static int[] grow(int[] a, int n) {
    return a.length >= n ? a : new int[n];
  }

  /**
   * {@code t[j * rows + i] = m[i * cols + j]}: the transposed copy that turns a product with
   * {@code m^T} into an input-major product over a streamed matrix; into t when it is large enough,
   * else into a new array.
   */
  static float[] transpose(float[] m, int rows, int cols, float[] t) {
    float[] out = grow(t, rows * cols);
    for (int i = 0; i < rows; i++) {
      int mo = i * cols;
      for (int j = 0; j < cols; j++) {
        out[j * rows + i] = m[mo + j];
      }
    }
    return out;
  }
}
