package dev.auramoe.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.internal.vector.Bf16;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The many-row kernels of the many-stream route give, row for row, the very bits of the single-row
 * kernels they stand for ({@code gemvBf16DenseRows} those of {@code gemvBf16Dense}, {@code gemvEach}
 * those of {@code gemv}), for scalar and Vector API kernels, at shapes that take their fast paths on
 * 4, 8 and 16 lanes (the fused 8L + L projection, 4L recurrent columns) and at awkward ones, with row
 * counts around the blocks of 3 and 6, odd and even inputs; and they write nothing outside their rows.
 */
class RowKernelTest {

  static Stream<KernelSupport> kernels() {
    KernelSupport p = KernelProvider.panamaOrNull();
    return p == null ? Stream.of(KernelProvider.scalar()) : Stream.of(KernelProvider.scalar(), p);
  }

  static Stream<Arguments> projectionShapes() {
    // {rows, packedCols, denseCols}: the fused shape for 4, 8 and 16 lanes, the default cell's, and others.
    int[][] shapes = {{384, 128, 16}, {37, 64, 8}, {5, 32, 4}, {13, 128, 16}, {9, 96, 12}, {3, 20, 0},
        {64, 128, 5}, {1, 32, 1}};
    List<Arguments> out = new ArrayList<>();
    kernels().forEach(k -> {
      for (int[] s : shapes) {
        for (int tokens : new int[] {0, 1, 5, 6, 7, 13, 18}) {
          out.add(Arguments.of(k.name(), k, s[0], s[1], s[2], tokens));
        }
      }
    });
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {2} x ({3} + {4}), {5} rows")
  @MethodSource("projectionShapes")
  void projectionRowsAreTheSingleRowBits(String name, KernelSupport k, int rows, int packedCols, int denseCols,
      int tokens) {
    SplittableRandom r = new SplittableRandom(rows * 31L + packedCols * 7L + denseCols + tokens);
    int cols = packedCols + denseCols;
    float[] full = new float[rows * cols];
    float[] dense = new float[rows * denseCols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        float v = j < packedCols ? Bf16.round((float) r.nextGaussian()) : (float) r.nextGaussian();
        full[i * cols + j] = v;
        if (j >= packedCols) {
          dense[i * denseCols + j - packedCols] = v;
        }
      }
    }
    int[] packed = Bf16.packOrNull(full, rows, cols, 0, packedCols);
    int xOff = 3;
    float[] x = new float[xOff + tokens * rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    int yOff = 2;
    float[] expected = new float[yOff + tokens * cols + 2];
    java.util.Arrays.fill(expected, -7f);
    float[] actual = expected.clone();
    for (int t = 0; t < tokens; t++) {
      k.gemvBf16Dense(packed, packedCols, dense, denseCols, rows, x, xOff + t * rows, expected, yOff + t * cols);
    }
    k.gemvBf16DenseRows(packed, packedCols, dense, denseCols, full, rows, x, xOff, tokens, actual, yOff);
    assertSameBits(expected, actual);
  }

  static Stream<Arguments> recurrentShapes() {
    // {rows, cols}: 4L columns for 4, 8 and 16 lanes (the default cell's 64 x 64), and others.
    int[][] shapes = {{64, 64}, {65, 64}, {32, 32}, {7, 16}, {64, 128}, {48, 48}, {5, 13}, {1, 64}};
    List<Arguments> out = new ArrayList<>();
    kernels().forEach(k -> {
      for (int[] s : shapes) {
        for (int n : new int[] {0, 1, 2, 3, 4, 6, 7, 11}) {
          for (boolean accumulate : new boolean[] {true, false}) {
            out.add(Arguments.of(k.name(), k, s[0], s[1], n, accumulate));
          }
        }
      }
    });
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {2} x {3}, {4} vectors, accumulate {5}")
  @MethodSource("recurrentShapes")
  void eachVectorGetsTheSingleVectorBits(String name, KernelSupport k, int rows, int cols, int n,
      boolean accumulate) {
    SplittableRandom r = new SplittableRandom(rows * 131L + cols * 17L + n * 3L + (accumulate ? 1 : 0));
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    float[][] xs = new float[n][rows];
    float[][] expected = new float[n][cols + 1];
    float[][] actual = new float[n][];
    for (int v = 0; v < n; v++) {
      for (int i = 0; i < rows; i++) {
        xs[v][i] = (float) r.nextGaussian();
      }
      for (int j = 0; j <= cols; j++) {
        expected[v][j] = (float) r.nextGaussian();
      }
      actual[v] = expected[v].clone();
      k.gemv(w, rows, cols, xs[v], 0, expected[v], 0, accumulate);
    }
    k.gemvEach(w, rows, cols, xs, actual, n, accumulate);
    for (int v = 0; v < n; v++) {
      assertSameBits(expected[v], actual[v]);
    }
  }

  static Stream<Arguments> softmaxShapes() {
    List<Arguments> out = new ArrayList<>();
    kernels().forEach(k -> {
      // n: one vector of 4, 8 and 16 lanes (16 the bench's experts), two, and tails on each side.
      for (int n : new int[] {1, 3, 4, 5, 8, 13, 16, 17, 31, 32, 33}) {
        for (int rows : new int[] {0, 1, 2, 7}) {
          out.add(Arguments.of(k.name(), k, n, rows));
        }
      }
    });
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {3} rows of {2}")
  @MethodSource("softmaxShapes")
  void softmaxRowsAreTheSingleRowBitsInPlaceOrNot(String name, KernelSupport k, int n, int rows) {
    SplittableRandom r = new SplittableRandom(n * 131L + rows);
    float[] logits = new float[rows * n + 3];
    for (int i = 0; i < logits.length; i++) {
      // Wide logits, repeated maxima and a temperature that sends some exponentials to zero.
      logits[i] = r.nextInt(9) == 0 ? 40f : (float) (r.nextGaussian() * 30);
    }
    float invT = 1.7f;
    float[] expected = new float[logits.length];
    java.util.Arrays.fill(expected, -7f);
    float[] row = new float[n];
    float[] single = new float[n];
    for (int t = 0; t < rows; t++) {
      System.arraycopy(logits, t * n, row, 0, n);
      k.softmax(row, single, n, invT);
      System.arraycopy(single, 0, expected, t * n, n);
    }
    float[] actual = new float[logits.length];
    java.util.Arrays.fill(actual, -7f);
    float[] before = logits.clone();
    k.softmaxRows(logits, actual, rows, n, invT);
    assertSameBits(expected, actual);
    assertThat(logits).as("logits are not modified").containsExactly(before);
    float[] inPlace = logits.clone();
    k.softmaxRows(inPlace, inPlace, rows, n, invT);
    System.arraycopy(logits, rows * n, expected, rows * n, 3);
    assertSameBits(expected, inPlace);
  }

  private static void assertSameBits(float[] expected, float[] actual) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError("element " + i + " is " + actual[i] + ", the single-row kernel gives "
            + expected[i]);
      }
    }
  }
}
