package dev.auramoe.internal.vector;

/**
 * bfloat16 weights packed two per int, for matrices whose values are exactly representable in
 * bf16 (the fixed random reservoir of the gating cell is generated that way). Halving the bytes of
 * the largest matrix halves what a single-token route streams from the L2 cache, which is what
 * bounds its latency; because the values are exact, the products are the same as with the fp32
 * copy.
 *
 * <p>Layout, for an input-major matrix of {@code rows x cols}: each row takes
 * {@code stride(cols) = ceil(cols / 32) * 16} ints; columns go in blocks of 32, and int
 * {@code l} (0..15) of block {@code b} holds column {@code 32b + l} in its low 16 bits and column
 * {@code 32b + 16 + l} in its high 16 bits. A vector kernel then widens a vector of ints into two
 * float vectors with one shift and one mask, for any lane count that divides 16. Padding columns
 * are zero.
 */
public final class Bf16 {

  private Bf16() {}

  /** Ints per packed row. */
  public static int stride(int cols) {
    return ((cols + 31) / 32) * 16;
  }

  /** The nearest bf16 value (round half to even); NaN and infinities are kept. */
  public static float round(float v) {
    int bits = Float.floatToRawIntBits(v);
    if ((bits & 0x7f800000) == 0x7f800000) {
      return v;
    }
    int lsb = (bits >>> 16) & 1;
    return Float.intBitsToFloat((bits + 0x7fff + lsb) & 0xffff0000);
  }

  /** Whether v is exactly a bf16 value. */
  public static boolean isExact(float v) {
    return (Float.floatToRawIntBits(v) & 0xffff) == 0;
  }

  /**
   * Packs columns {@code [col, col + cols)} of an input-major fp32 matrix with row stride
   * {@code srcStride}; returns null when a value is not exactly a bf16 value.
   */
  public static int[] packOrNull(float[] w, int rows, int srcStride, int col, int cols) {
    int stride = stride(cols);
    int[] p = new int[rows * stride];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        float v = w[i * srcStride + col + j];
        if (!isExact(v)) {
          return null;
        }
        int b = j >>> 5;
        int r = j & 31;
        int idx = i * stride + b * 16 + (r & 15);
        int half = Float.floatToRawIntBits(v) >>> 16;
        p[idx] |= r < 16 ? half : half << 16;
      }
    }
    return p;
  }

  /** The weight at (row i, column j) of a packed matrix. */
  public static float get(int[] packed, int stride, int i, int j) {
    int r = j & 31;
    int word = packed[i * stride + (j >>> 5) * 16 + (r & 15)];
    return Float.intBitsToFloat(r < 16 ? word << 16 : word & 0xffff0000);
  }
}
