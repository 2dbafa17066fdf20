package dev.auramoe.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.internal.vector.Bf16;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed bf16 layout and the kernels that read it: packing is lossless for bf16-exact values
 * and refused otherwise, {@code gemvBf16} and {@code gemvBf16Dense} equal the fp32 product of the
 * same values (up to summation order) for scalar and Vector API kernels at awkward shapes,
 * including the fused 128 + 16 shape of the default cell, and never write outside their range;
 * {@code allFinite} finds a single NaN or infinity anywhere.
 */
class Bf16KernelTest {

  private static final double REL_SUM = 1e-5;

  static Stream<KernelSupport> kernels() {
    KernelSupport p = KernelProvider.panamaOrNull();
    return p == null ? Stream.of(KernelProvider.scalar()) : Stream.of(KernelProvider.scalar(), p);
  }

  static Stream<Arguments> shapes() {
    int[][] shapes = {{1, 1}, {3, 20}, {7, 32}, {13, 64}, {5, 96}, {9, 45}, {384, 128}, {64, 160}, {2, 33},
        {100, 31}, {17, 256}};
    List<Arguments> out = new ArrayList<>();
    kernels().forEach(k -> {
      for (int[] s : shapes) {
        out.add(Arguments.of(k.name(), k, s[0], s[1]));
      }
    });
    return out.stream();
  }

  private static float[] bf16Matrix(SplittableRandom r, int n) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = Bf16.round((float) (r.nextDouble() * 4 - 2));
    }
    return w;
  }

  @Test
  void roundGivesTheNearestBf16AndPackingIsLossless() {
    assertThat(Bf16.round(1f)).isEqualTo(1f);
    assertThat(Bf16.round(1f + 0x1p-9f)).as("below half an ulp rounds down").isEqualTo(1f);
    assertThat(Bf16.round(1f + 0x1p-8f)).as("a tie goes to the even neighbour, down here").isEqualTo(1f);
    assertThat(Bf16.round(1f + 0x1p-7f + 0x1p-8f)).as("and up here").isEqualTo(1f + 0x1p-6f);
    assertThat(Bf16.round(1f + 0x1p-8f + 0x1p-12f)).as("above half an ulp rounds up").isEqualTo(1f + 0x1p-7f);
    assertThat(Bf16.round(1.0039f)).isEqualTo(1f);
    assertThat(Bf16.isExact(Bf16.round(0.123456f))).isTrue();
    assertThat(Bf16.round(Float.NaN)).isNaN();
    assertThat(Bf16.round(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    SplittableRandom r = new SplittableRandom(5);
    int rows = 7;
    int cols = 77;
    int srcStride = 80;
    float[] w = new float[rows * srcStride];
    for (int i = 0; i < w.length; i++) {
      w[i] = Bf16.round((float) r.nextGaussian());
    }
    int[] p = Bf16.packOrNull(w, rows, srcStride, 2, cols);
    assertThat(p).hasSize(rows * Bf16.stride(cols));
    assertThat(Bf16.stride(cols)).isEqualTo(48);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        assertThat(Bf16.get(p, Bf16.stride(cols), i, j)).isEqualTo(w[i * srcStride + 2 + j]);
      }
    }
    w[3 * srcStride + 10] = 0.1f; // not bf16-exact
    assertThat(Bf16.packOrNull(w, rows, srcStride, 2, cols)).isNull();
  }

  @ParameterizedTest(name = "{0} {2}x{3}")
  @MethodSource("shapes")
  void gemvBf16EqualsTheFp32Product(String name, KernelSupport k, int rows, int cols) {
    SplittableRandom r = new SplittableRandom(31L * rows + cols);
    float[] w = bf16Matrix(r, rows * cols);
    int[] packed = Bf16.packOrNull(w, rows, cols, 0, cols);
    float[] x = new float[rows + 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    for (boolean accumulate : new boolean[] {false, true}) {
      float[] ref = new float[cols + 4];
      float[] got = new float[cols + 4];
      for (int j = 0; j < ref.length; j++) {
        ref[j] = got[j] = j * 0.25f - 1;
      }
      KernelProvider.scalar().gemv(w, rows, cols, x, 2, ref, 3, accumulate);
      k.gemvBf16(packed, rows, cols, x, 2, got, 3, accumulate);
      for (int j = 0; j < ref.length; j++) {
        double scale = 1;
        if (j >= 3 && j < 3 + cols) {
          for (int i = 0; i < rows; i++) {
            scale += Math.abs((double) x[2 + i] * w[i * cols + j - 3]);
          }
        }
        assertThat((double) got[j]).as("%s y[%d] accumulate=%s", name, j, accumulate)
            .isCloseTo(ref[j], within(REL_SUM * scale));
      }
      assertThat(got[0]).as("nothing written before yOff").isEqualTo(ref[0]);
      assertThat(got[cols + 3]).as("nothing written after the range").isEqualTo(-1 + (cols + 3) * 0.25f);
    }
  }

  static Stream<Arguments> denseShapes() {
    int[][] shapes = {{384, 128, 16}, {16, 64, 8}, {5, 32, 3}, {384, 128, 8}, {3, 40, 16}, {64, 128, 16}, {1, 128, 16}};
    List<Arguments> out = new ArrayList<>();
    kernels().forEach(k -> {
      for (int[] s : shapes) {
        out.add(Arguments.of(k.name(), k, s[0], s[1], s[2]));
      }
    });
    return out.stream();
  }

  @ParameterizedTest(name = "{0} rows={2} packed={3} dense={4}")
  @MethodSource("denseShapes")
  void gemvBf16DenseEqualsTwoProducts(String name, KernelSupport k, int rows, int packedCols, int denseCols) {
    SplittableRandom r = new SplittableRandom(7L * rows + packedCols + denseCols);
    float[] w = bf16Matrix(r, rows * packedCols);
    int[] packed = Bf16.packOrNull(w, rows, packedCols, 0, packedCols);
    float[] dense = new float[rows * denseCols];
    for (int i = 0; i < dense.length; i++) {
      dense[i] = (float) r.nextGaussian();
    }
    float[] x = new float[rows];
    for (int i = 0; i < rows; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[] ref = new float[packedCols + denseCols + 2];
    float[] got = new float[packedCols + denseCols + 2];
    got[0] = 9f;
    got[got.length - 1] = 9f;
    KernelProvider.scalar().gemv(w, rows, packedCols, x, 0, ref, 1, false);
    KernelProvider.scalar().gemv(dense, rows, denseCols, x, 0, ref, 1 + packedCols, false);
    k.gemvBf16Dense(packed, packedCols, dense, denseCols, rows, x, 0, got, 1);
    for (int j = 1; j < ref.length - 1; j++) {
      assertThat((double) got[j]).as("%s y[%d]", name, j).isCloseTo(ref[j], within(REL_SUM * rows * 8));
    }
    assertThat(got[0]).isEqualTo(9f);
    assertThat(got[got.length - 1]).isEqualTo(9f);
  }

  @Test
  void theCellProjectsThroughThePackedCopyOnlyWhenItIsExact() {
    dev.auramoe.cell.LiquidCell cell = new dev.auramoe.cell.LiquidCell(dev.auramoe.cell.CellConfig.DEFAULT, 40, 16, 3);
    assertThat(cell.usesPackedProjection()).as("the seeded reservoir is bf16-exact").isTrue();
    SplittableRandom r = new SplittableRandom(9);
    float[] x = new float[40];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[] viaCell = new float[cell.width()];
    float[] direct = new float[cell.width()];
    cell.project(x, 0, viaCell, 0);
    KernelProvider.scalar().gemv(cell.projection(), 40, cell.width(), x, 0, direct, 0, false);
    for (int j = 0; j < direct.length; j++) {
      assertThat((double) viaCell[j]).isCloseTo(direct[j], within(1e-4));
    }
    // A learned extra column is seen by the next projection (the derived copy follows it).
    cell.addToExtraColumn(5, 0.5f, x);
    cell.project(x, 0, viaCell, 0);
    KernelProvider.scalar().gemv(cell.projection(), 40, cell.width(), x, 0, direct, 0, false);
    assertThat((double) viaCell[2 * 64 + 5]).isCloseTo(direct[2 * 64 + 5], within(1e-4));
    // Weights that are not bf16-exact (an arbitrary snapshot) fall back to the fp32 product.
    float[] proj = cell.projection().clone();
    proj[3] = 0.1f;
    cell.setWeights(proj, cell.recurrent().clone(), cell.driveBias().clone(), cell.tauBias().clone());
    assertThat(cell.usesPackedProjection()).isFalse();
    cell.project(x, 0, viaCell, 0);
    KernelProvider.scalar().gemv(cell.projection(), 40, cell.width(), x, 0, direct, 0, false);
    for (int j = 0; j < direct.length; j++) {
      assertThat((double) viaCell[j]).isCloseTo(direct[j], within(1e-4));
    }
  }

  @Test
  void allFiniteFindsEveryNonFiniteValueAtEveryPosition() {
    kernels().forEach(k -> {
      for (int n : new int[] {0, 1, 7, 16, 33, 384, 1000}) {
        float[] a = new float[n + 2];
        for (int i = 0; i < a.length; i++) {
          a[i] = (i % 2 == 0 ? 1 : -1) * (i == 5 ? Float.MAX_VALUE : i * 1e30f);
        }
        a[0] = Float.NaN; // outside [1, 1 + n)
        a[n + 1] = Float.POSITIVE_INFINITY;
        assertThat(k.allFinite(a, 1, n)).as("%s n=%d all finite", k.name(), n).isTrue();
        for (int pos = 1; pos <= n; pos += Math.max(1, n / 40)) {
          for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float keep = a[pos];
            a[pos] = bad;
            assertThat(k.allFinite(a, 1, n)).as("%s n=%d %s at %d", k.name(), n, bad, pos).isFalse();
            a[pos] = keep;
          }
        }
      }
    });
  }
}
