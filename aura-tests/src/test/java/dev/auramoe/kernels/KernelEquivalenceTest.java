package dev.auramoe.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API kernels against the scalar reference on every kernel, at sizes that hit every
 * combination of unrolled loop, vector tail and scalar tail for 4, 8 and 16 lanes, with seeded
 * random inputs and explicit tolerances; plus the contract properties (bounds, clamps, NaN
 * handling, normalisation) for both implementations.
 *
 * <p>Tolerances: reductions and products differ from the reference only in summation order, so
 * they are bounded by {@code REL_SUM * sum|terms| + ABS}; element-wise kernels differ by the
 * transcendental approximations (a few ulp), so they are bounded by {@code REL * |ref| + ABS}.
 */
class KernelEquivalenceTest {

  private static final KernelSupport SCALAR = KernelProvider.scalar();
  private static final KernelSupport PANAMA = KernelProvider.panamaOrNull();

  private static final int[] SIZES = {1, 4, 6, 8, 13, 16, 25, 32, 64, 100, 128, 207, 256, 300, 512, 702, 1024};

  /** Summation-order error per unit of sum|terms| (float epsilon is 6e-8). */
  private static final double REL_SUM = 1e-5;
  /** Element-wise relative error (rational tanh: 6 ulp; SVML exp/log1p: a few ulp). */
  private static final double REL = 4e-6;
  private static final double ABS = 1e-6;

  static IntStream sizes() {
    return IntStream.of(SIZES);
  }

  static Stream<KernelSupport> kernels() {
    return PANAMA == null ? Stream.of(SCALAR) : Stream.of(SCALAR, PANAMA);
  }

  private static KernelSupport panama() {
    assumeThat(PANAMA).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    return PANAMA;
  }

  private static float[] random(SplittableRandom r, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return a;
  }

  private static void assertClose(String what, float[] expected, float[] actual, double rel, double abs) {
    assertThat(actual).as(what + ": length").hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      double tol = rel * Math.abs(expected[i]) + abs;
      if (!(Math.abs((double) actual[i] - expected[i]) <= tol)
          && Float.floatToIntBits(actual[i]) != Float.floatToIntBits(expected[i])) {
        throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", reference " + expected[i]
            + " (tolerance " + tol + ")");
      }
    }
  }

  // ------------------------------------------------------------------------ reductions, axpy

  @ParameterizedTest
  @MethodSource("sizes")
  void dotAndSumOfSquares(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(1000 + n);
    // Offsets inside larger arrays: the kernels must honour aOff/bOff and not read past n.
    float[] a = random(r, n + 7, -2, 2);
    float[] b = random(r, n + 5, -2, 2);
    double absDot = 0;
    double absSq = 0;
    for (int i = 0; i < n; i++) {
      absDot += Math.abs((double) a[3 + i] * b[5 + i]);
      absSq += (double) a[3 + i] * a[3 + i];
    }
    float ref = SCALAR.dot(a, 3, b, 5, n);
    assertThat((double) p.dot(a, 3, b, 5, n)).as("dot n=%d", n).isCloseTo(ref, Offset.offset(REL_SUM * absDot + ABS));
    float refSq = SCALAR.sumOfSquares(a, 3, n);
    assertThat((double) p.sumOfSquares(a, 3, n)).as("sumOfSquares n=%d", n)
        .isCloseTo(refSq, Offset.offset(REL_SUM * absSq + ABS));
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void axpy(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(2000 + n);
    float[] x = random(r, n + 2, -3, 3);
    float[] y0 = random(r, n + 4, -3, 3);
    float[] ys = y0.clone();
    float[] yp = y0.clone();
    SCALAR.axpy(-0.37f, x, 2, ys, 4, n);
    p.axpy(-0.37f, x, 2, yp, 4, n);
    // Both fuse the multiply-add per element: same rounding. Elements outside the range untouched.
    assertClose("axpy n=" + n, ys, yp, 1e-7, 0);
  }

  // ------------------------------------------------------------------------ gemv, gemm

  static Stream<Arguments> gemvShapes() {
    int[][] shapes = {{1, 1}, {13, 7}, {207, 33}, {384, 144}, {64, 16}, {64, 64}, {1, 100}, {100, 1},
        {3, 17}, {8, 256}, {25, 300}, {6, 13}, {16, 32}, {702, 25}, {4, 1024}};
    List<Arguments> out = new ArrayList<>();
    for (int[] s : shapes) {
      out.add(Arguments.of(s[0], s[1], false));
      out.add(Arguments.of(s[0], s[1], true));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}x{1} accumulate={2}")
  @MethodSource("gemvShapes")
  void gemv(int rows, int cols, boolean accumulate) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(31L * rows + cols);
    float[] w = random(r, rows * cols, -1, 1);
    float[] x = random(r, rows + 3, -1, 1);
    float[] y0 = random(r, cols + 6, -1, 1);
    float[] ys = y0.clone();
    float[] yp = y0.clone();
    SCALAR.gemv(w, rows, cols, x, 3, ys, 6, accumulate);
    p.gemv(w, rows, cols, x, 3, yp, 6, accumulate);
    for (int j = 0; j < cols + 6; j++) {
      double scale = j < 6 ? 0 : Math.abs(accumulate ? y0[j] : 0);
      if (j >= 6) {
        for (int i = 0; i < rows; i++) {
          scale += Math.abs((double) x[3 + i] * w[i * cols + j - 6]);
        }
      }
      assertThat((double) yp[j]).as("gemv %dx%d y[%d]", rows, cols, j)
          .isCloseTo(ys[j], Offset.offset(REL_SUM * scale + (j < 6 ? 0 : ABS)));
    }
  }

  static Stream<Arguments> gemmShapes() {
    int[][] shapes = {{1, 1}, {13, 7}, {207, 33}, {384, 144}, {64, 16}, {64, 64}, {100, 1}, {3, 17}, {25, 300}};
    int[] tokens = {1, 3, 5, 6, 7, 12, 17};
    List<Arguments> out = new ArrayList<>();
    for (int[] s : shapes) {
      for (int t : tokens) {
        out.add(Arguments.of(t, s[0], s[1]));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "tokens={0} {1}x{2}")
  @MethodSource("gemmShapes")
  void gemm(int tokens, int rows, int cols) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(7L * tokens + 31L * rows + cols);
    float[] w = random(r, rows * cols, -1, 1);
    float[] x = random(r, tokens * rows, -1, 1);
    float[] ys = random(r, tokens * cols, -9, 9); // garbage: gemm must overwrite
    float[] yp = random(r, tokens * cols, -9, 9);
    SCALAR.gemm(x, tokens, w, rows, cols, ys);
    p.gemm(x, tokens, w, rows, cols, yp);
    for (int t = 0; t < tokens; t++) {
      for (int j = 0; j < cols; j++) {
        double scale = 0;
        for (int i = 0; i < rows; i++) {
          scale += Math.abs((double) x[t * rows + i] * w[i * cols + j]);
        }
        assertThat((double) yp[t * cols + j]).as("gemm t=%d %dx%d y[%d]", t, rows, cols, j)
            .isCloseTo(ys[t * cols + j], Offset.offset(REL_SUM * scale + ABS));
      }
    }
  }

  @Test
  void gemmEqualsGemvPerToken() {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(99);
    int tokens = 29;
    int rows = 384;
    int cols = 144;
    float[] w = random(r, rows * cols, -1, 1);
    float[] x = random(r, tokens * rows, -1, 1);
    float[] y = new float[tokens * cols];
    p.gemm(x, tokens, w, rows, cols, y);
    float[] row = new float[cols];
    for (int t = 0; t < tokens; t++) {
      p.gemv(w, rows, cols, x, t * rows, row, 0, false);
      float[] got = java.util.Arrays.copyOfRange(y, t * cols, (t + 1) * cols);
      assertClose("gemm token " + t + " vs gemv", row, got, 1e-5, 1e-5);
    }
  }

  static Stream<Arguments> gemmOffsetShapes() {
    int[] sizes = {1, 3, 15, 16, 17, 33, 64, 65};
    List<Arguments> out = new ArrayList<>();
    for (int rows : sizes) {
      for (int cols : sizes) {
        out.add(Arguments.of(rows, cols));
      }
    }
    return out.stream();
  }

  /**
   * The training form of gemm (offsets, overwrite or accumulate) for 1 to 13 tokens (every count of
   * whole 6-token blocks and token tail) at awkward widths: both kernels against a double-precision
   * product, the Vector API one against the scalar one, and neither touches y outside
   * [yOff, yOff + tokens * cols) (guards of sentinel values on both sides, compared bit for bit).
   */
  @ParameterizedTest(name = "{0}x{1}")
  @MethodSource("gemmOffsetShapes")
  void gemmAtOffsets(int rows, int cols) {
    SplittableRandom r = new SplittableRandom(101L * rows + cols);
    float[] w = random(r, rows * cols, -1, 1);
    int xOff = 5;
    int yOff = 7;
    int guard = 40;
    for (int tokens = 1; tokens <= 13; tokens++) {
      float[] x = random(r, xOff + tokens * rows + 3, -1, 1);
      float[] y0 = random(r, yOff + tokens * cols + guard, -9, 9);
      for (boolean accumulate : new boolean[] {false, true}) {
        float[] ys = null;
        for (KernelSupport k : kernels().toList()) {
          float[] y = y0.clone();
          k.gemm(x, xOff, tokens, w, rows, cols, y, yOff, accumulate);
          String what = k.name() + " gemm tokens=" + tokens + " " + rows + "x" + cols + " accumulate=" + accumulate;
          for (int i = 0; i < y.length; i++) {
            boolean inside = i >= yOff && i < yOff + tokens * cols;
            if (!inside) {
              assertThat(Float.floatToRawIntBits(y[i])).as("%s: y[%d] outside the output is untouched", what, i)
                  .isEqualTo(Float.floatToRawIntBits(y0[i]));
              continue;
            }
            int t = (i - yOff) / cols;
            int j = (i - yOff) % cols;
            double exact = accumulate ? y0[i] : 0;
            double scale = Math.abs(exact);
            for (int q = 0; q < rows; q++) {
              double term = (double) x[xOff + t * rows + q] * w[q * cols + j];
              exact += term;
              scale += Math.abs(term);
            }
            assertThat((double) y[i]).as("%s: y[%d] against the exact product", what, i)
                .isCloseTo(exact, Offset.offset(REL_SUM * scale + ABS));
            if (ys != null) {
              assertThat((double) y[i]).as("%s: y[%d] against the scalar kernel", what, i)
                  .isCloseTo(ys[i], Offset.offset(REL_SUM * scale + ABS));
            }
          }
          if (ys == null) {
            ys = y;
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------------ element-wise

  /**
   * The training kernels of the liquid cell (time constants with their slope, the Euler step that
   * keeps its activation, its backward pass) at offsets: the Vector API ones bit for bit equal to
   * the scalar ones (the same operation sequence), both close to the formulas in double, and
   * nothing outside [off, off + n) touched.
   */
  @ParameterizedTest
  @MethodSource("sizes")
  void liquidTrainingKernels(int n) {
    SplittableRandom r = new SplittableRandom(9000 + n);
    float tauMin = 0.02f;
    float tauMax = 2f;
    float dt = 0.02f;
    float[] pre = random(r, n + 3, -12, 12);
    float[] h0 = random(r, n + 5, -3, 3);
    float[] drive0 = random(r, n + 4, -10, 10);
    float[] it = random(r, n + 1, 0.5, 50);
    float[] g0 = random(r, n + 2, -2, 2);
    float[] sum0 = random(r, n + 6, -1, 1);
    float[] git0 = random(r, n + 3, -1, 1);
    List<float[][]> results = new ArrayList<>();
    for (KernelSupport k : kernels().toList()) {
      float[] inv = random(new SplittableRandom(1), n + 4, 5, 6);
      float[] slope = random(new SplittableRandom(2), n + 5, 5, 6);
      k.liquidTimeConstants(pre, 3, inv, 2, slope, 1, n, tauMin, tauMax);
      float[] h = h0.clone();
      float[] drive = drive0.clone();
      k.liquidEulerForward(h, 5, drive, 4, it, 1, dt, tauMax, n);
      float[] g = g0.clone();
      float[] dd = random(new SplittableRandom(3), n + 7, 5, 6);
      float[] sum = sum0.clone();
      float[] git = git0.clone();
      // The backward pass at the forward's own state and activation.
      k.liquidEulerBackward(g, 2, h0, 5, drive, 4, it, 1, dt, dd, 7, sum, 6, git, 3, n);
      results.add(new float[][] {inv, slope, h, drive, g, dd, sum, git});
      for (int i = 0; i < n; i++) {
        double a = pre[3 + i];
        double tau = tauMin + Math.log1p(Math.exp(-Math.abs(a))) + Math.max(a, 0);
        double clamped = Math.min(Math.max(tau, tauMin), tauMax);
        assertThat((double) inv[2 + i]).as("%s invTau[%d]", k.name(), i).isCloseTo(1 / clamped, Offset.offset(2e-6 / clamped));
        if (Math.abs(tau - tauMax) > 1e-5) {
          double sig = tau > tauMax ? 0 : 1 / (1 + Math.exp(-a));
          assertThat((double) slope[1 + i]).as("%s slope[%d]", k.name(), i).isCloseTo(sig, Offset.offset(1e-6));
        }
        double s = Math.tanh(drive0[4 + i]);
        assertThat((double) drive[4 + i]).as("%s s[%d]", k.name(), i).isCloseTo(s, Offset.offset(1e-6));
        double hi = h0[5 + i];
        double next = hi + dt * (s - hi * it[1 + i]);
        assertThat((double) h[5 + i]).as("%s h'[%d]", k.name(), i).isCloseTo(next, Offset.offset(1e-6 * (1 + Math.abs(next))));
        double gs = g0[2 + i] * (double) dt;
        double ddExact = gs * (1 - (double) drive[4 + i] * drive[4 + i]);
        assertThat((double) dd[7 + i]).as("%s dDrive[%d]", k.name(), i).isCloseTo(ddExact, Offset.offset(1e-7));
        assertThat((double) sum[6 + i]).as("%s dDriveSum[%d]", k.name(), i).isCloseTo(sum0[6 + i] + ddExact, Offset.offset(1e-6));
        assertThat((double) git[3 + i]).as("%s gInvTau[%d]", k.name(), i)
            .isCloseTo(git0[3 + i] - gs * hi, Offset.offset(1e-6));
        assertThat((double) g[2 + i]).as("%s g[%d]", k.name(), i)
            .isCloseTo(g0[2 + i] - gs * it[1 + i], Offset.offset(1e-5));
      }
    }
    float[][] fresh = {random(new SplittableRandom(1), n + 4, 5, 6), random(new SplittableRandom(2), n + 5, 5, 6),
        h0, drive0, g0, random(new SplittableRandom(3), n + 7, 5, 6), sum0, git0};
    int[] offsets = {2, 1, 5, 4, 2, 7, 6, 3};
    String[] names = {"invTau", "slope", "h", "drive", "g", "dDrive", "dDriveSum", "gInvTau"};
    for (float[][] got : results) {
      for (int a = 0; a < names.length; a++) {
        for (int i = 0; i < got[a].length; i++) {
          boolean inside = i >= offsets[a] && i < offsets[a] + n;
          float expected = inside ? results.get(0)[a][i] : fresh[a][i];
          assertThat(Float.floatToRawIntBits(got[a][i])).as("%s[%d] (%s)", names[a], i, inside ? "bit for bit" : "untouched")
              .isEqualTo(Float.floatToRawIntBits(expected));
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void tanh(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(3000 + n);
    float[] a = random(r, n + 2, -6, 6);
    // Include the interesting regions: tiny, around the clamp, beyond it.
    float[] special = {0f, -0f, 1e-6f, -3e-4f, 5e-4f, 7.9f, -8f, 20f, -1e30f, Float.MIN_VALUE};
    for (int i = 0; i < Math.min(n, special.length); i++) {
      a[2 + i * (n / special.length + 1) % n] = special[i];
    }
    float[] as = a.clone();
    float[] ap = a.clone();
    SCALAR.tanh(as, 2, n);
    p.tanh(ap, 2, n);
    assertClose("tanh n=" + n, as, ap, REL, 1e-7);
    for (int i = 2; i < n + 2; i++) {
      assertThat(Math.abs(ap[i])).as("|tanh| <= 1").isLessThanOrEqualTo(1f);
    }
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void inverseTau(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(4000 + n);
    float[] pre = random(r, n + 1, -12, 12);
    float[] is = new float[n];
    float[] ip = new float[n];
    SCALAR.inverseTau(pre, 1, is, n, 0.25f, 6f);
    p.inverseTau(pre, 1, ip, n, 0.25f, 6f);
    assertClose("inverseTau n=" + n, is, ip, REL, 0);
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void liquidEuler(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(5000 + n);
    float[] h = random(r, n, -2, 2);
    float[] drive = random(r, n, -5, 5);
    float[] invTau = new float[n];
    SCALAR.inverseTau(random(r, n, -4, 4), 0, invTau, n, 0.1f, 5f);
    float[] hs = h.clone();
    float[] hp = h.clone();
    SCALAR.liquidEuler(hs, drive, invTau, 0.1f, 3f, n);
    p.liquidEuler(hp, drive, invTau, 0.1f, 3f, n);
    assertClose("liquidEuler n=" + n, hs, hp, REL, ABS);
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void closedForm(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(6000 + n);
    float[] h = random(r, n, -2, 2);
    float[] drive = random(r, n, -5, 5);
    float[] invTau = new float[n];
    SCALAR.inverseTau(random(r, n, -4, 4), 0, invTau, n, 0.1f, 5f);
    float[] hs = h.clone();
    float[] hp = h.clone();
    SCALAR.closedForm(hs, drive, invTau, 0.7f, n);
    p.closedForm(hp, drive, invTau, 0.7f, n);
    // |h'| <= max(|h|, tau) <= 5: an absolute floor scaled to that range.
    assertClose("closedForm n=" + n, hs, hp, REL, 5 * ABS);
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void softmax(int n) {
    KernelSupport p = panama();
    SplittableRandom r = new SplittableRandom(7000 + n);
    float[] logits = random(r, n, -10, 10);
    float[] os = new float[n];
    float[] op = new float[n];
    SCALAR.softmax(logits, os, n, 1.7f);
    p.softmax(logits, op, n, 1.7f);
    assertClose("softmax n=" + n, os, op, REL, 1e-9);
  }

  // ------------------------------------------------------------------------ contract properties

  static Stream<Arguments> kernelsAndSizes() {
    return kernels().flatMap(k -> sizes().mapToObj(n -> Arguments.of(k.name(), k, n)));
  }

  @ParameterizedTest(name = "{0} n={2}")
  @MethodSource("kernelsAndSizes")
  void liquidEulerBoundHoldsBitForBitUnderExtremeDrives(String name, KernelSupport k, int n) {
    SplittableRandom r = new SplittableRandom(8000 + n);
    float bound = 1.5f;
    float dt = 0.05f;
    float[] h = random(r, n, -bound, bound);
    if (n > 1) {
      h[0] = bound;
      h[n - 1] = -bound;
    }
    float[] invTau = new float[n];
    // tau in [dt, 4]: dt <= tau, the documented regime (and tau = dt exactly, the edge).
    k.inverseTau(random(r, n, -30, 30), 0, invTau, n, dt, 4f);
    float[] drive = new float[n];
    for (int step = 0; step < 300; step++) {
      for (int i = 0; i < n; i++) {
        drive[i] = switch ((step + i) % 6) {
          case 0 -> 1e30f;
          case 1 -> -1e30f;
          case 2 -> (step & 1) == 0 ? 1e30f : -1e30f; // alternating
          case 3 -> Float.NaN;
          case 4 -> Float.POSITIVE_INFINITY;
          default -> (float) (r.nextDouble() * 2e6 - 1e6);
        };
      }
      k.liquidEuler(h, drive, invTau, dt, bound, n);
      for (int i = 0; i < n; i++) {
        if (!(Math.abs(h[i]) <= bound)) {
          throw new AssertionError(name + ": |h[" + i + "]| = " + Math.abs(h[i]) + " > " + bound + " at step " + step);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} n={2}")
  @MethodSource("kernelsAndSizes")
  void liquidEulerClampHoldsEvenWhenDtExceedsTau(String name, KernelSupport k, int n) {
    SplittableRandom r = new SplittableRandom(8500 + n);
    float bound = 2f;
    float[] h = random(r, n, -5, 5); // some start above the bound: they may not grow
    float[] before = h.clone();
    float[] invTau = new float[n];
    java.util.Arrays.fill(invTau, 20f); // tau = 0.05 < dt
    float[] drive = random(r, n, -1e30, 1e30);
    k.liquidEuler(h, drive, invTau, 0.9f, bound, n);
    for (int i = 0; i < n; i++) {
      float lim = Math.max(Math.abs(before[i]), bound);
      assertThat(Math.abs(h[i])).as("%s |h[%d]|", name, i).isLessThanOrEqualTo(lim);
    }
  }

  @ParameterizedTest(name = "{0} n={2}")
  @MethodSource("kernelsAndSizes")
  void nanDriveCountsAsZero(String name, KernelSupport k, int n) {
    SplittableRandom r = new SplittableRandom(8700 + n);
    float[] h = random(r, n, -1, 1);
    float[] invTau = random(r, n, 0.25f, 2f);
    float[] nan = new float[n];
    java.util.Arrays.fill(nan, Float.NaN);
    float[] zero = new float[n];
    float[] a = h.clone();
    float[] b = h.clone();
    k.liquidEuler(a, nan, invTau, 0.1f, 3f, n);
    k.liquidEuler(b, zero, invTau, 0.1f, 3f, n);
    assertThat(a).as("%s liquidEuler", name).containsExactly(b);
    a = h.clone();
    b = h.clone();
    k.closedForm(a, nan, invTau, 0.3f, n);
    k.closedForm(b, zero, invTau, 0.3f, n);
    assertThat(a).as("%s closedForm", name).containsExactly(b);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void inverseTauClampsAndMapsNaNToTauMax(KernelSupport k) {
    float tauMin = 0.5f;
    float tauMax = 8f;
    float[] pre = {Float.NaN, -1e30f, -100f, -1f, 0f, 1f, 5f, 7.49f, 100f, 1e30f,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.NaN, 3f, -3f, 50f};
    float[] inv = new float[pre.length];
    k.inverseTau(pre, 0, inv, pre.length, tauMin, tauMax);
    for (int i = 0; i < pre.length; i++) {
      assertThat(inv[i]).as("%s invTau for pre=%s", k.name(), pre[i])
          .isBetween(1f / tauMax, 1f / tauMin);
    }
    assertThat(inv[0]).as("NaN -> tauMax").isEqualTo(1f / tauMax);
    assertThat(inv[13]).as("NaN -> tauMax").isEqualTo(1f / tauMax);
    assertThat(inv[8]).as("large -> tauMax").isEqualTo(1f / tauMax);
    assertThat(inv[9]).as("huge -> tauMax").isEqualTo(1f / tauMax);
    assertThat(inv[10]).as("+inf -> tauMax").isEqualTo(1f / tauMax);
    assertThat(inv[1]).as("-huge -> tauMin").isEqualTo(1f / tauMin);
    assertThat(inv[2]).as("-100 -> tauMin").isEqualTo(1f / tauMin);
    assertThat(inv[11]).as("-inf -> tauMin").isEqualTo(1f / tauMin);
    // softplus(0) = ln 2
    assertThat((double) inv[4]).isCloseTo(1 / (tauMin + Math.log(2)), Offset.offset(1e-6));
  }

  @ParameterizedTest(name = "{0} n={2}")
  @MethodSource("kernelsAndSizes")
  void softmaxSumsToOneAndMayWorkInPlace(String name, KernelSupport k, int n) {
    SplittableRandom r = new SplittableRandom(9000 + n);
    float[] logits = random(r, n, -30, 30);
    float[] out = new float[n];
    k.softmax(logits, out, n, 0.8f);
    double sum = 0;
    for (float v : out) {
      assertThat(v).isBetween(0f, 1f);
      sum += v;
    }
    assertThat(sum).as("%s sum", name).isCloseTo(1.0, Offset.offset(1e-5));
    float[] inPlace = logits.clone();
    k.softmax(inPlace, inPlace, n, 0.8f);
    assertThat(inPlace).as("%s aliased out", name).containsExactly(out);
  }

  @ParameterizedTest(name = "{0} n={2}")
  @MethodSource("kernelsAndSizes")
  void closedFormStaysWithinMaxOfStateAndTau(String name, KernelSupport k, int n) {
    SplittableRandom r = new SplittableRandom(9500 + n);
    float[] h = random(r, n, -6, 6);
    float[] before = h.clone();
    float[] invTau = random(r, n, 0.2f, 4f);
    float[] drive = random(r, n, -1e30, 1e30);
    k.closedForm(h, drive, invTau, 3f, n);
    for (int i = 0; i < n; i++) {
      double lim = Math.max(Math.abs(before[i]), 1.0 / invTau[i]);
      assertThat((double) Math.abs(h[i])).as("%s |h[%d]|", name, i).isLessThanOrEqualTo(lim * (1 + 1e-6));
    }
  }
}
