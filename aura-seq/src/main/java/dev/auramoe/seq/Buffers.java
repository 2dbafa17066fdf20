package dev.auramoe.seq;

/**
 * The workspaces of this module's layers: arrays that grow to the largest shape seen and are then
 * reused (also aura-snn's), and the transposed copies the backward passes' products read.
 */
public final class Buffers {

  private Buffers() {}

  /** a when it holds n values, else a new array of n. */
  public static float[] grow(float[] a, int n) {
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
    // Tile by tile: a row-by-row copy writes each value of a row to another cache line of the output,
    // and for the tall inputs of a backward pass (thousands of rows) every line is evicted before its
    // neighbours arrive; a 32 x 32 tile writes 32 lines 32 times while they stay in cache.
    for (int i0 = 0; i0 < rows; i0 += TILE) {
      int i1 = Math.min(rows, i0 + TILE);
      for (int j0 = 0; j0 < cols; j0 += TILE) {
        int j1 = Math.min(cols, j0 + TILE);
        for (int i = i0; i < i1; i++) {
          int mo = i * cols;
          for (int j = j0; j < j1; j++) {
            out[j * rows + i] = m[mo + j];
          }
        }
      }
    }
    return out;
  }

  /** The side of {@link #transpose}'s tiles. */
  private static final int TILE = 32;
}
