package dev.auramoe.simd;

import dev.auramoe.internal.vector.Approx;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.routing.TopK;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import dev.auramoe.internal.vector.Bf16;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link KernelSupport} on the JDK Vector API ({@code jdk.incubator.vector}).
 *
 * <p>Loaded by name from {@code KernelProvider} through the public no-arg constructor. The
 * constructor is the only place that touches the Vector API before the kernels are known to be
 * usable: it refuses (with {@link UnsupportedOperationException}) when the preferred vector shape
 * is narrower than 128 bits, and only then initialises the nested class {@code K} that holds the
 * species as a {@code static final} constant. Nothing in a static initializer of this class uses
 * the Vector API (as in Lucene's {@code PanamaVectorizationProvider}): a refusal must stay a clean
 * exception and never become an {@link ExceptionInInitializerError} or a half-initialised class.
 *
 * <p>The width is {@link FloatVector#SPECIES_PREFERRED} unless the system property
 * {@value #VECTOR_BITS_PROPERTY} (128, 256 or 512) forces one; the property exists so that tests
 * can exercise the tails of every lane count on one machine. The width is fixed for the JVM by
 * the first construction. No JVM-global vector property is read or written otherwise.
 *
 * <p>Every kernel is allocation-free once compiled by C2: vector temporaries are scalar-replaced as
 * long as no vector crosses a call that C2 does not inline. Hence the rules of this file: no
 * helper method takes or returns a vector or a mask (see {@link #hasFma()}), and every block
 * kernel is larger than C2's FreqInlineSize (325 bytecodes), so it is never inlined into a caller
 * and compiles as its own unit, far from the node budget. Kernel shape: a main loop up to
 * {@code loopBound} with independent accumulators, a vector tail, a scalar tail.
 */
// "exports": the kernel SPI is internal to aura-core by design; only aura-core loads this class.
@SuppressWarnings("exports")
public final class PanamaKernelSupport implements KernelSupport {

  /** System property that forces the vector width in bits: 128, 256 or 512. Meant for tests. */
  public static final String VECTOR_BITS_PROPERTY = "aura.tests.vectorBits";

  private final String name;

  /**
   * Checks that the Vector API is usable and fixes the vector width.
   *
   * @throws UnsupportedOperationException when vectors are narrower than 128 bits, when the CPU
   *     has no FMA, or when {@value #VECTOR_BITS_PROPERTY} holds something other than 128, 256 or 512
   */
  public PanamaKernelSupport() {
    int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    if (preferred < 128) {
      throw new UnsupportedOperationException(
          "preferred vector width is " + preferred + " bits; the Vector API kernels need at least 128");
    }
    if (!hasFma()) {
      throw new UnsupportedOperationException(
          "no hardware fused multiply-add (-XX:-UseFMA or an old CPU): the Vector API would emulate it lane by lane");
    }
    requestedBits(); // validates the property before K is initialised
    if (FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512 && requestedBits() == 0) {
      throw new UnsupportedOperationException("vectors wider than 512 bits are not supported yet (the fixed-order lane"
          + " sums assume at most 16 float lanes); force one with -D" + VECTOR_BITS_PROPERTY);
    }
    this.name = "panama-" + K.S.vectorBitSize();
  }

  /**
   * Whether C2 may use hardware FMA. The kernels call {@link FloatVector#fma} directly; without
   * hardware support that call is emulated per lane and is slower than the scalar kernels, so the
   * constructor refuses instead. This is the one place that decides the FMA policy.
   *
   * <p>Why no {@code fma(a, b, c)} helper method in the kernels: any method of ours that takes or
   * returns vectors must be inlined by C2, or its vectors are boxed (allocated) at each call. C2
   * declines to inline such a helper at a cold call site once a standalone copy of it has been
   * compiled ("already compiled into a medium method"), and anywhere once the compilation passes
   * its node budget ("NodeCountInliningCutoff"); both were observed in this class. The Vector
   * API's own methods are force-inlined, so the kernels use nothing else.
   */
  static boolean hasFma() {
    try {
      var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return bean == null || Boolean.parseBoolean(bean.getVMOption("UseFMA").getValue());
    } catch (RuntimeException | LinkageError e) {
      // Not HotSpot, or jdk.management absent: assume a CPU from the last decade.
      return true;
    }
  }

  /** The width requested through the property, or 0 for the preferred width. */
  static int requestedBits() {
    String v = System.getProperty(VECTOR_BITS_PROPERTY);
    if (v == null || v.isBlank()) {
      return 0;
    }
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "128":
        return 128;
      case "256":
        return 256;
      case "512":
        return 512;
      default:
        throw new UnsupportedOperationException(
            "-D" + VECTOR_BITS_PROPERTY + "=" + v + " is not one of 128, 256, 512");
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    return K.dot(a, aOff, b, bOff, n);
  }

  @Override
  public float sumOfSquares(float[] a, int off, int n) {
    return K.sumOfSquares(a, off, n);
  }

  @Override
  public boolean allFinite(float[] a, int off, int n) {
    return K.allFinite(a, off, n);
  }

  @Override
  public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    K.axpy(alpha, x, xOff, y, yOff, n);
  }

  @Override
  public void gemv(float[] w, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate) {
    K.gemv(w, rows, cols, x, xOff, y, yOff, accumulate);
  }

  @Override
  public void gemm(float[] x, int tokens, float[] w, int rows, int cols, float[] y) {
    K.gemm(x, 0, tokens, w, rows, cols, y, 0, false);
  }

  @Override
  public void gemm(float[] x, int xOff, int tokens, float[] w, int rows, int cols, float[] y, int yOff,
      boolean accumulate) {
    K.gemm(x, xOff, tokens, w, rows, cols, y, yOff, accumulate);
  }

  @Override
  public void gemvBf16Dense(int[] packed, int packedCols, float[] dense, int denseCols, int rows, float[] x, int xOff,
      float[] y, int yOff) {
    K.gemvBf16Dense(packed, packedCols, dense, denseCols, rows, x, xOff, y, yOff);
  }

  @Override
  public void gemvBf16DenseRows(int[] packed, int packedCols, float[] dense, int denseCols, float[] full, int rows,
      float[] x, int xOff, int tokens, float[] y, int yOff) {
    K.gemvBf16DenseRows(packed, packedCols, dense, denseCols, full, rows, x, xOff, tokens, y, yOff);
  }

  @Override
  public void gemvEach(float[] w, int rows, int cols, float[][] xs, float[][] ys, int n, boolean accumulate) {
    K.gemvEach(w, rows, cols, xs, ys, n, accumulate);
  }

  @Override
  public void gemvBf16(int[] packed, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate) {
    K.gemvBf16(packed, rows, cols, x, xOff, y, yOff, accumulate);
  }

  @Override
  public void tanh(float[] a, int off, int n) {
    K.tanh(a, off, n);
  }

  @Override
  public void inverseTau(float[] pre, int preOff, float[] invTau, int n, float tauMin, float tauMax) {
    K.inverseTau(pre, preOff, invTau, n, tauMin, tauMax);
  }

  @Override
  public void liquidEuler(float[] h, float[] drive, float[] invTau, float dt, float bound, int n) {
    K.liquidEuler(h, drive, invTau, dt, bound, n);
  }

  @Override
  public void closedForm(float[] h, float[] drive, float[] invTau, float delta, int n) {
    K.closedForm(h, drive, invTau, delta, n);
  }

  @Override
  public void liquidTimeConstants(float[] pre, int preOff, float[] invTau, int invOff, float[] slope, int slopeOff,
      int n, float tauMin, float tauMax) {
    K.liquidTimeConstants(pre, preOff, invTau, invOff, slope, slopeOff, n, tauMin, tauMax);
  }

  @Override
  public void liquidEulerForward(float[] h, int hOff, float[] drive, int dOff, float[] invTau, int iOff, float dt,
      float bound, int n) {
    K.liquidEulerForward(h, hOff, drive, dOff, invTau, iOff, dt, bound, n);
  }

  @Override
  public void liquidEulerBackward(float[] g, int gOff, float[] h, int hOff, float[] s, int sOff, float[] invTau,
      int iOff, float dt, float[] dDrive, int ddOff, float[] dDriveSum, int dsOff, float[] gInvTau, int giOff, int n) {
    K.liquidEulerBackward(g, gOff, h, hOff, s, sOff, invTau, iOff, dt, dDrive, ddOff, dDriveSum, dsOff, gInvTau, giOff,
        n);
  }

  @Override
  public void lifForward(float[] x, int xOff, float[] v, int vOff, float[] h, int hOff, float[] s, int sOff, int n,
      float invTau, float threshold, boolean hardReset) {
    K.lifForward(x, xOff, v, vOff, h, hOff, s, sOff, n, invTau, threshold, hardReset);
  }

  @Override
  public void lifBackward(float[] gS, int gsOff, float[] h, int hOff, float[] s, int sOff, float[] gV, int gvOff,
      float[] gX, int gxOff, int n, float invTau, float threshold, boolean hardReset, boolean detachReset,
      int surrogate, float alpha) {
    K.lifBackward(gS, gsOff, h, hOff, s, sOff, gV, gvOff, gX, gxOff, n, invTau, threshold, hardReset, detachReset,
        surrogate, alpha);
  }

  @Override
  public void softmax(float[] logits, float[] out, int n, float invT) {
    K.softmax(logits, out, 0, n, invT);
  }

  @Override
  public void softmaxRows(float[] logits, float[] out, int rows, int n, float invT) {
    for (int r = 0; r < rows; r++) {
      K.softmax(logits, out, r * n, n, invT);
    }
  }

  @Override
  public void selectTopK(float[] probs, int off, float[] bias, int n, int k, float[] scores, int[] out,
      float[] outScores) {
    K.selectTopK(probs, off, bias, n, k, scores, out, outScores);
  }

  @Override
  public String toString() {
    return "PanamaKernelSupport[" + name + "]";
  }

  /**
   * The kernels. A separate class so that its static initializer (the species constants) runs only
   * after the constructor has accepted the platform. Species and lane count must be
   * {@code static final}: C2 intrinsifies vector operations only when the species is a constant.
   */
  static final class K {

    static final VectorSpecies<Float> S = species();
    /** Lanes per vector. */
    static final int L = S.length();
    /** The scalar kernels, for the tails shorter than a vector (one formula, one place). */
    static final KernelSupport TAIL = dev.auramoe.internal.vector.KernelProvider.scalar();
    /** Lane rotations for the fixed-order tree sum (ROT8 only used when L >= 16, ROT4 when L >= 8). */
    static final VectorShuffle<Float> ROT1 = VectorShuffle.iota(S, 1, 1, true);
    static final VectorShuffle<Float> ROT2 = VectorShuffle.iota(S, 2, 1, true);
    static final VectorShuffle<Float> ROT4 = VectorShuffle.iota(S, Math.min(4, L - 1), 1, true);
    static final VectorShuffle<Float> ROT8 = VectorShuffle.iota(S, Math.min(8, L - 1), 1, true);
    /**
     * Whether the register file has 32 vector registers (AVX-512, NEON/SVE) rather than 16 (AVX2).
     * It picks the gemm micro-kernel: 6x4 vectors of accumulators need more than 16 registers.
     */
    static final boolean MANY_REGS =
        FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            || "aarch64".equals(System.getProperty("os.arch"));
    private K() {}

    private static VectorSpecies<Float> species() {
      int bits = requestedBits();
      return switch (bits) {
        case 128 -> FloatVector.SPECIES_128;
        case 256 -> FloatVector.SPECIES_256;
        case 512 -> FloatVector.SPECIES_512;
        default -> FloatVector.SPECIES_PREFERRED;
      };
    }

    // ---------------------------------------------------------------- reductions and axpy

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
      // Four accumulators hide the 4-cycle FMA latency; one would serialise on it.
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      int i = 0;
      int bound4 = n - n % (4 * L);
      for (; i < bound4; i += 4 * L) {
        s0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), s0);
        s1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), s1);
        s2 = FloatVector.fromArray(S, a, aOff + i + 2 * L).fma(FloatVector.fromArray(S, b, bOff + i + 2 * L), s2);
        s3 = FloatVector.fromArray(S, a, aOff + i + 3 * L).fma(FloatVector.fromArray(S, b, bOff + i + 3 * L), s3);
      }
      // Vector tail: whole vectors left after the unrolled loop.
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        s0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), s0);
      }
      FloatVector red = s0.add(s1).add(s2.add(s3));
      // Fixed-order tree sum (rotate by L/2, L/4, ..., 1): reduceLanes(ADD) sums lanes in another
      // order in the interpreter than in C2, which would make results depend on the JIT tier.
      if (L >= 16) {
        red = red.add(red.rearrange(ROT8));
      }
      if (L >= 8) {
        red = red.add(red.rearrange(ROT4));
      }
      red = red.add(red.rearrange(ROT2));
      red = red.add(red.rearrange(ROT1));
      float s = red.lane(0);
      // Scalar tail: fewer than L elements, cheaper than building a mask.
      for (; i < n; i++) {
        s = Math.fma(a[aOff + i], b[bOff + i], s);
      }
      return s;
    }

    static float sumOfSquares(float[] a, int off, int n) {
      // The reference's definition. The second load of each vector hits L1 and the loop is
      // FMA-bound anyway; one vector loop fewer keeps the class small (see the class comment).
      return dot(a, off, a, off, n);
    }

    static boolean allFinite(float[] a, int off, int n) {
      // v * 0 is 0 for every finite v and NaN for NaN and the infinities; NaN survives the sum.
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      int i = 0;
      int bound2 = n - n % (2 * L);
      for (; i < bound2; i += 2 * L) {
        s0 = s0.add(FloatVector.fromArray(S, a, off + i).mul(0f));
        s1 = s1.add(FloatVector.fromArray(S, a, off + i + L).mul(0f));
      }
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        s0 = s0.add(FloatVector.fromArray(S, a, off + i).mul(0f));
      }
      boolean ok = !s0.add(s1).test(VectorOperators.IS_NAN).anyTrue();
      for (; i < n; i++) {
        ok &= Float.isFinite(a[off + i]);
      }
      return ok;
    }

    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
      // No loop-carried dependency: the unroll only amortises loop overhead; memory bound.
      FloatVector va = FloatVector.broadcast(S, alpha);
      int i = 0;
      int bound4 = n - n % (4 * L);
      for (; i < bound4; i += 4 * L) {
        FloatVector y0 = FloatVector.fromArray(S, y, yOff + i);
        FloatVector y1 = FloatVector.fromArray(S, y, yOff + i + L);
        FloatVector y2 = FloatVector.fromArray(S, y, yOff + i + 2 * L);
        FloatVector y3 = FloatVector.fromArray(S, y, yOff + i + 3 * L);
        va.fma(FloatVector.fromArray(S, x, xOff + i), y0).intoArray(y, yOff + i);
        va.fma(FloatVector.fromArray(S, x, xOff + i + L), y1).intoArray(y, yOff + i + L);
        va.fma(FloatVector.fromArray(S, x, xOff + i + 2 * L), y2).intoArray(y, yOff + i + 2 * L);
        va.fma(FloatVector.fromArray(S, x, xOff + i + 3 * L), y3).intoArray(y, yOff + i + 3 * L);
      }
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        va.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i))
            .intoArray(y, yOff + i);
      }
      for (; i < n; i++) {
        y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
      }
    }

    // ---------------------------------------------------------------- gemv

    static void gemv(float[] w, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate) {
      // Column blocks of 8, 4, 2, 1 vectors: each block keeps its outputs in registers for the
      // whole pass over the inputs, so y is read and written once and w is streamed once.
      int full = S.loopBound(cols);
      int j = 0;
      for (; j + 8 * L <= full; j += 8 * L) {
        gemv8(w, rows, cols, j, x, xOff, y, yOff + j, accumulate);
      }
      if (j + 4 * L <= full) {
        gemv4(w, rows, cols, j, x, xOff, y, yOff + j, accumulate);
        j += 4 * L;
      }
      if (j + 2 * L <= full) {
        gemv2(w, rows, cols, j, x, xOff, y, yOff + j, accumulate);
        j += 2 * L;
      }
      if (j + L <= full) {
        gemv1(w, rows, cols, j, x, xOff, y, yOff + j, accumulate);
        j += L;
      }
      if (j < cols) {
        gemvTail(w, rows, cols, j, x, xOff, y, yOff, accumulate);
      }
    }

    /** Eight column vectors: eight independent chains already cover the FMA latency. */
    private static void gemv8(float[] w, int rows, int cols, int j, float[] x, int xOff, float[] y, int yo,
        boolean accumulate) {
      FloatVector a0 = accumulate ? FloatVector.fromArray(S, y, yo) : FloatVector.zero(S);
      FloatVector a1 = accumulate ? FloatVector.fromArray(S, y, yo + L) : FloatVector.zero(S);
      FloatVector a2 = accumulate ? FloatVector.fromArray(S, y, yo + 2 * L) : FloatVector.zero(S);
      FloatVector a3 = accumulate ? FloatVector.fromArray(S, y, yo + 3 * L) : FloatVector.zero(S);
      FloatVector a4 = accumulate ? FloatVector.fromArray(S, y, yo + 4 * L) : FloatVector.zero(S);
      FloatVector a5 = accumulate ? FloatVector.fromArray(S, y, yo + 5 * L) : FloatVector.zero(S);
      FloatVector a6 = accumulate ? FloatVector.fromArray(S, y, yo + 6 * L) : FloatVector.zero(S);
      FloatVector a7 = accumulate ? FloatVector.fromArray(S, y, yo + 7 * L) : FloatVector.zero(S);
      for (int i = 0; i < rows; i++) {
        int o = i * cols + j;
        FloatVector xi = FloatVector.broadcast(S, x[xOff + i]);
        a0 = xi.fma(FloatVector.fromArray(S, w, o), a0);
        a1 = xi.fma(FloatVector.fromArray(S, w, o + L), a1);
        a2 = xi.fma(FloatVector.fromArray(S, w, o + 2 * L), a2);
        a3 = xi.fma(FloatVector.fromArray(S, w, o + 3 * L), a3);
        a4 = xi.fma(FloatVector.fromArray(S, w, o + 4 * L), a4);
        a5 = xi.fma(FloatVector.fromArray(S, w, o + 5 * L), a5);
        a6 = xi.fma(FloatVector.fromArray(S, w, o + 6 * L), a6);
        a7 = xi.fma(FloatVector.fromArray(S, w, o + 7 * L), a7);
      }
      a0.intoArray(y, yo);
      a1.intoArray(y, yo + L);
      a2.intoArray(y, yo + 2 * L);
      a3.intoArray(y, yo + 3 * L);
      a4.intoArray(y, yo + 4 * L);
      a5.intoArray(y, yo + 5 * L);
      a6.intoArray(y, yo + 6 * L);
      a7.intoArray(y, yo + 7 * L);
    }

    /** Four column vectors, inputs split even/odd: eight chains instead of four latency-bound ones. */
    private static void gemv4(float[] w, int rows, int cols, int j, float[] x, int xOff, float[] y, int yo,
        boolean accumulate) {
      FloatVector a0 = accumulate ? FloatVector.fromArray(S, y, yo) : FloatVector.zero(S);
      FloatVector a1 = accumulate ? FloatVector.fromArray(S, y, yo + L) : FloatVector.zero(S);
      FloatVector a2 = accumulate ? FloatVector.fromArray(S, y, yo + 2 * L) : FloatVector.zero(S);
      FloatVector a3 = accumulate ? FloatVector.fromArray(S, y, yo + 3 * L) : FloatVector.zero(S);
      FloatVector b0 = FloatVector.zero(S);
      FloatVector b1 = FloatVector.zero(S);
      FloatVector b2 = FloatVector.zero(S);
      FloatVector b3 = FloatVector.zero(S);
      int i = 0;
      for (; i + 1 < rows; i += 2) {
        int o = i * cols + j;
        int p = o + cols;
        FloatVector xa = FloatVector.broadcast(S, x[xOff + i]);
        FloatVector xb = FloatVector.broadcast(S, x[xOff + i + 1]);
        a0 = xa.fma(FloatVector.fromArray(S, w, o), a0);
        a1 = xa.fma(FloatVector.fromArray(S, w, o + L), a1);
        a2 = xa.fma(FloatVector.fromArray(S, w, o + 2 * L), a2);
        a3 = xa.fma(FloatVector.fromArray(S, w, o + 3 * L), a3);
        b0 = xb.fma(FloatVector.fromArray(S, w, p), b0);
        b1 = xb.fma(FloatVector.fromArray(S, w, p + L), b1);
        b2 = xb.fma(FloatVector.fromArray(S, w, p + 2 * L), b2);
        b3 = xb.fma(FloatVector.fromArray(S, w, p + 3 * L), b3);
      }
      if (i < rows) {
        int o = i * cols + j;
        FloatVector xa = FloatVector.broadcast(S, x[xOff + i]);
        a0 = xa.fma(FloatVector.fromArray(S, w, o), a0);
        a1 = xa.fma(FloatVector.fromArray(S, w, o + L), a1);
        a2 = xa.fma(FloatVector.fromArray(S, w, o + 2 * L), a2);
        a3 = xa.fma(FloatVector.fromArray(S, w, o + 3 * L), a3);
      }
      a0.add(b0).intoArray(y, yo);
      a1.add(b1).intoArray(y, yo + L);
      a2.add(b2).intoArray(y, yo + 2 * L);
      a3.add(b3).intoArray(y, yo + 3 * L);
    }

    /** Two column vectors, inputs split four ways: eight chains. */
    private static void gemv2(float[] w, int rows, int cols, int j, float[] x, int xOff, float[] y, int yo,
        boolean accumulate) {
      FloatVector a0 = accumulate ? FloatVector.fromArray(S, y, yo) : FloatVector.zero(S);
      FloatVector a1 = accumulate ? FloatVector.fromArray(S, y, yo + L) : FloatVector.zero(S);
      FloatVector b0 = FloatVector.zero(S);
      FloatVector b1 = FloatVector.zero(S);
      FloatVector c0 = FloatVector.zero(S);
      FloatVector c1 = FloatVector.zero(S);
      FloatVector d0 = FloatVector.zero(S);
      FloatVector d1 = FloatVector.zero(S);
      int i = 0;
      for (; i + 3 < rows; i += 4) {
        int o = i * cols + j;
        FloatVector xa = FloatVector.broadcast(S, x[xOff + i]);
        FloatVector xb = FloatVector.broadcast(S, x[xOff + i + 1]);
        FloatVector xc = FloatVector.broadcast(S, x[xOff + i + 2]);
        FloatVector xd = FloatVector.broadcast(S, x[xOff + i + 3]);
        a0 = xa.fma(FloatVector.fromArray(S, w, o), a0);
        a1 = xa.fma(FloatVector.fromArray(S, w, o + L), a1);
        o += cols;
        b0 = xb.fma(FloatVector.fromArray(S, w, o), b0);
        b1 = xb.fma(FloatVector.fromArray(S, w, o + L), b1);
        o += cols;
        c0 = xc.fma(FloatVector.fromArray(S, w, o), c0);
        c1 = xc.fma(FloatVector.fromArray(S, w, o + L), c1);
        o += cols;
        d0 = xd.fma(FloatVector.fromArray(S, w, o), d0);
        d1 = xd.fma(FloatVector.fromArray(S, w, o + L), d1);
      }
      for (; i < rows; i++) {
        int o = i * cols + j;
        FloatVector xa = FloatVector.broadcast(S, x[xOff + i]);
        a0 = xa.fma(FloatVector.fromArray(S, w, o), a0);
        a1 = xa.fma(FloatVector.fromArray(S, w, o + L), a1);
      }
      a0.add(b0).add(c0.add(d0)).intoArray(y, yo);
      a1.add(b1).add(c1.add(d1)).intoArray(y, yo + L);
    }

    /**
     * One column vector (e.g. the 16 router logits): a single chain per column would wait on FMA
     * latency, so the inputs are split eight ways. Like every block kernel it is larger than C2's
     * FreqInlineSize (325 bytecodes), so it is never inlined into a caller and compiles as its own
     * unit.
     */
    private static void gemv1(float[] w, int rows, int cols, int j, float[] x, int xOff, float[] y, int yo,
        boolean accumulate) {
      FloatVector a = accumulate ? FloatVector.fromArray(S, y, yo) : FloatVector.zero(S);
      FloatVector b = FloatVector.zero(S);
      FloatVector c = FloatVector.zero(S);
      FloatVector d = FloatVector.zero(S);
      FloatVector e = FloatVector.zero(S);
      FloatVector f = FloatVector.zero(S);
      FloatVector g = FloatVector.zero(S);
      FloatVector h = FloatVector.zero(S);
      int i = 0;
      for (; i + 7 < rows; i += 8) {
        int o = i * cols + j;
        a = FloatVector.broadcast(S, x[xOff + i]).fma(FloatVector.fromArray(S, w, o), a);
        b = FloatVector.broadcast(S, x[xOff + i + 1]).fma(FloatVector.fromArray(S, w, o + cols), b);
        c = FloatVector.broadcast(S, x[xOff + i + 2]).fma(FloatVector.fromArray(S, w, o + 2 * cols), c);
        d = FloatVector.broadcast(S, x[xOff + i + 3]).fma(FloatVector.fromArray(S, w, o + 3 * cols), d);
        e = FloatVector.broadcast(S, x[xOff + i + 4]).fma(FloatVector.fromArray(S, w, o + 4 * cols), e);
        f = FloatVector.broadcast(S, x[xOff + i + 5]).fma(FloatVector.fromArray(S, w, o + 5 * cols), f);
        g = FloatVector.broadcast(S, x[xOff + i + 6]).fma(FloatVector.fromArray(S, w, o + 6 * cols), g);
        h = FloatVector.broadcast(S, x[xOff + i + 7]).fma(FloatVector.fromArray(S, w, o + 7 * cols), h);
      }
      for (; i < rows; i++) {
        a = FloatVector.broadcast(S, x[xOff + i]).fma(FloatVector.fromArray(S, w, i * cols + j), a);
      }
      a.add(b).add(c.add(d)).add(e.add(f).add(g.add(h))).intoArray(y, yo);
    }

    /**
     * The last cols - j (fewer than L) columns, scalar: per column, four partial sums over the
     * inputs against FMA latency. Not a masked vector: each masked load brings an out-of-range
     * fallback path, and unrolled masked loads push a compilation towards C2's node budget. The
     * real shapes (16, 64, 144 columns) never get here.
     */
    private static void gemvTail(float[] w, int rows, int cols, int j, float[] x, int xOff, float[] y, int yOff,
        boolean accumulate) {
      for (; j < cols; j++) {
        float s0 = accumulate ? y[yOff + j] : 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int i = 0;
        for (; i + 3 < rows; i += 4) {
          int o = i * cols + j;
          s0 = Math.fma(x[xOff + i], w[o], s0);
          s1 = Math.fma(x[xOff + i + 1], w[o + cols], s1);
          s2 = Math.fma(x[xOff + i + 2], w[o + 2 * cols], s2);
          s3 = Math.fma(x[xOff + i + 3], w[o + 3 * cols], s3);
        }
        for (; i < rows; i++) {
          s0 = Math.fma(x[xOff + i], w[i * cols + j], s0);
        }
        y[yOff + j] = (s0 + s1) + (s2 + s3);
      }
    }

    // ---------------------------------------------------------------- gemm

    /** Token rows per micro-kernel. */
    private static final int MR = 6;

    static void gemm(float[] x, int xOff, int tokens, float[] w, int rows, int cols, float[] y, int yOff,
        boolean accumulate) {
      // BLIS-style register blocking: MR tokens x NR column vectors of accumulators. Each weight
      // vector load feeds MR FMAs and each broadcast input feeds NR, so the loop is FMA-bound,
      // not load-bound. The MR input rows (MR * rows floats) stay in L1 across column blocks.
      // Accumulating, the accumulators start from y instead of zero: the same chains, one load more.
      int full = S.loopBound(cols);
      int t = 0;
      for (; t + MR <= tokens; t += MR) {
        int xo = xOff + t * rows;
        int yo = yOff + t * cols;
        int j = 0;
        if (MANY_REGS) {
          // 24 accumulators + 4 weight vectors + 1 broadcast fit in 32 registers.
          for (; j + 4 * L <= full; j += 4 * L) {
            gemm6x4(x, xo, rows, w, cols, j, y, yo, accumulate);
          }
        }
        // 12 accumulators: the largest block that fits 16 registers (AVX2).
        for (; j + 2 * L <= full; j += 2 * L) {
          gemm6x2(x, xo, rows, w, cols, j, y, yo, accumulate);
        }
        if (j < full) {
          gemm6x1(x, xo, rows, w, cols, j, y, yo, accumulate);
          j += L;
        }
        if (full < cols) {
          gemm3x1Masked(x, xo, rows, w, cols, full, y, yo, accumulate);
          gemm3x1Masked(x, xo + 3 * rows, rows, w, cols, full, y, yo + 3 * cols, accumulate);
        }
      }
      // Token tail: fewer than MR rows left; the gemv kernels handle single rows well.
      for (; t < tokens; t++) {
        gemv(w, rows, cols, x, xOff + t * rows, y, yOff + t * cols, accumulate);
      }
    }

    private static void gemm6x4(float[] x, int xo, int rows, float[] w, int cols, int j, float[] y, int yo,
        boolean accumulate) {
      int r0 = yo + j;
      FloatVector c00 = accumulate ? FloatVector.fromArray(S, y, r0) : FloatVector.zero(S);
      FloatVector c01 = accumulate ? FloatVector.fromArray(S, y, r0 + L) : FloatVector.zero(S);
      FloatVector c02 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * L) : FloatVector.zero(S);
      FloatVector c03 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * L) : FloatVector.zero(S);
      FloatVector c10 = accumulate ? FloatVector.fromArray(S, y, r0 + cols) : FloatVector.zero(S);
      FloatVector c11 = accumulate ? FloatVector.fromArray(S, y, r0 + cols + L) : FloatVector.zero(S);
      FloatVector c12 = accumulate ? FloatVector.fromArray(S, y, r0 + cols + 2 * L) : FloatVector.zero(S);
      FloatVector c13 = accumulate ? FloatVector.fromArray(S, y, r0 + cols + 3 * L) : FloatVector.zero(S);
      FloatVector c20 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols) : FloatVector.zero(S);
      FloatVector c21 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols + L) : FloatVector.zero(S);
      FloatVector c22 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols + 2 * L) : FloatVector.zero(S);
      FloatVector c23 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols + 3 * L) : FloatVector.zero(S);
      FloatVector c30 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols) : FloatVector.zero(S);
      FloatVector c31 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols + L) : FloatVector.zero(S);
      FloatVector c32 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols + 2 * L) : FloatVector.zero(S);
      FloatVector c33 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols + 3 * L) : FloatVector.zero(S);
      FloatVector c40 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols) : FloatVector.zero(S);
      FloatVector c41 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols + L) : FloatVector.zero(S);
      FloatVector c42 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols + 2 * L) : FloatVector.zero(S);
      FloatVector c43 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols + 3 * L) : FloatVector.zero(S);
      FloatVector c50 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols) : FloatVector.zero(S);
      FloatVector c51 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols + L) : FloatVector.zero(S);
      FloatVector c52 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols + 2 * L) : FloatVector.zero(S);
      FloatVector c53 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols + 3 * L) : FloatVector.zero(S);
      int x0 = xo, x1 = xo + rows, x2 = xo + 2 * rows, x3 = xo + 3 * rows, x4 = xo + 4 * rows, x5 = xo + 5 * rows;
      for (int i = 0; i < rows; i++) {
        int o = i * cols + j;
        FloatVector w0 = FloatVector.fromArray(S, w, o);
        FloatVector w1 = FloatVector.fromArray(S, w, o + L);
        FloatVector w2 = FloatVector.fromArray(S, w, o + 2 * L);
        FloatVector w3 = FloatVector.fromArray(S, w, o + 3 * L);
        FloatVector b = FloatVector.broadcast(S, x[x0 + i]);
        c00 = b.fma(w0, c00);
        c01 = b.fma(w1, c01);
        c02 = b.fma(w2, c02);
        c03 = b.fma(w3, c03);
        b = FloatVector.broadcast(S, x[x1 + i]);
        c10 = b.fma(w0, c10);
        c11 = b.fma(w1, c11);
        c12 = b.fma(w2, c12);
        c13 = b.fma(w3, c13);
        b = FloatVector.broadcast(S, x[x2 + i]);
        c20 = b.fma(w0, c20);
        c21 = b.fma(w1, c21);
        c22 = b.fma(w2, c22);
        c23 = b.fma(w3, c23);
        b = FloatVector.broadcast(S, x[x3 + i]);
        c30 = b.fma(w0, c30);
        c31 = b.fma(w1, c31);
        c32 = b.fma(w2, c32);
        c33 = b.fma(w3, c33);
        b = FloatVector.broadcast(S, x[x4 + i]);
        c40 = b.fma(w0, c40);
        c41 = b.fma(w1, c41);
        c42 = b.fma(w2, c42);
        c43 = b.fma(w3, c43);
        b = FloatVector.broadcast(S, x[x5 + i]);
        c50 = b.fma(w0, c50);
        c51 = b.fma(w1, c51);
        c52 = b.fma(w2, c52);
        c53 = b.fma(w3, c53);
      }
      int y0 = yo + j;
      c00.intoArray(y, y0); c01.intoArray(y, y0 + L); c02.intoArray(y, y0 + 2 * L); c03.intoArray(y, y0 + 3 * L);
      y0 += cols;
      c10.intoArray(y, y0); c11.intoArray(y, y0 + L); c12.intoArray(y, y0 + 2 * L); c13.intoArray(y, y0 + 3 * L);
      y0 += cols;
      c20.intoArray(y, y0); c21.intoArray(y, y0 + L); c22.intoArray(y, y0 + 2 * L); c23.intoArray(y, y0 + 3 * L);
      y0 += cols;
      c30.intoArray(y, y0); c31.intoArray(y, y0 + L); c32.intoArray(y, y0 + 2 * L); c33.intoArray(y, y0 + 3 * L);
      y0 += cols;
      c40.intoArray(y, y0); c41.intoArray(y, y0 + L); c42.intoArray(y, y0 + 2 * L); c43.intoArray(y, y0 + 3 * L);
      y0 += cols;
      c50.intoArray(y, y0); c51.intoArray(y, y0 + L); c52.intoArray(y, y0 + 2 * L); c53.intoArray(y, y0 + 3 * L);
    }

    private static void gemm6x2(float[] x, int xo, int rows, float[] w, int cols, int j, float[] y, int yo,
        boolean accumulate) {
      int r0 = yo + j;
      FloatVector c00 = accumulate ? FloatVector.fromArray(S, y, r0) : FloatVector.zero(S);
      FloatVector c01 = accumulate ? FloatVector.fromArray(S, y, r0 + L) : FloatVector.zero(S);
      FloatVector c10 = accumulate ? FloatVector.fromArray(S, y, r0 + cols) : FloatVector.zero(S);
      FloatVector c11 = accumulate ? FloatVector.fromArray(S, y, r0 + cols + L) : FloatVector.zero(S);
      FloatVector c20 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols) : FloatVector.zero(S);
      FloatVector c21 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols + L) : FloatVector.zero(S);
      FloatVector c30 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols) : FloatVector.zero(S);
      FloatVector c31 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols + L) : FloatVector.zero(S);
      FloatVector c40 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols) : FloatVector.zero(S);
      FloatVector c41 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols + L) : FloatVector.zero(S);
      FloatVector c50 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols) : FloatVector.zero(S);
      FloatVector c51 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols + L) : FloatVector.zero(S);
      int x0 = xo, x1 = xo + rows, x2 = xo + 2 * rows, x3 = xo + 3 * rows, x4 = xo + 4 * rows, x5 = xo + 5 * rows;
      for (int i = 0; i < rows; i++) {
        int o = i * cols + j;
        FloatVector w0 = FloatVector.fromArray(S, w, o);
        FloatVector w1 = FloatVector.fromArray(S, w, o + L);
        FloatVector b = FloatVector.broadcast(S, x[x0 + i]);
        c00 = b.fma(w0, c00);
        c01 = b.fma(w1, c01);
        b = FloatVector.broadcast(S, x[x1 + i]);
        c10 = b.fma(w0, c10);
        c11 = b.fma(w1, c11);
        b = FloatVector.broadcast(S, x[x2 + i]);
        c20 = b.fma(w0, c20);
        c21 = b.fma(w1, c21);
        b = FloatVector.broadcast(S, x[x3 + i]);
        c30 = b.fma(w0, c30);
        c31 = b.fma(w1, c31);
        b = FloatVector.broadcast(S, x[x4 + i]);
        c40 = b.fma(w0, c40);
        c41 = b.fma(w1, c41);
        b = FloatVector.broadcast(S, x[x5 + i]);
        c50 = b.fma(w0, c50);
        c51 = b.fma(w1, c51);
      }
      int y0 = yo + j;
      c00.intoArray(y, y0); c01.intoArray(y, y0 + L);
      y0 += cols;
      c10.intoArray(y, y0); c11.intoArray(y, y0 + L);
      y0 += cols;
      c20.intoArray(y, y0); c21.intoArray(y, y0 + L);
      y0 += cols;
      c30.intoArray(y, y0); c31.intoArray(y, y0 + L);
      y0 += cols;
      c40.intoArray(y, y0); c41.intoArray(y, y0 + L);
      y0 += cols;
      c50.intoArray(y, y0); c51.intoArray(y, y0 + L);
    }

    private static void gemm6x1(float[] x, int xo, int rows, float[] w, int cols, int j, float[] y, int yo,
        boolean accumulate) {
      int r0 = yo + j;
      FloatVector c0 = accumulate ? FloatVector.fromArray(S, y, r0) : FloatVector.zero(S);
      FloatVector c1 = accumulate ? FloatVector.fromArray(S, y, r0 + cols) : FloatVector.zero(S);
      FloatVector c2 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols) : FloatVector.zero(S);
      FloatVector c3 = accumulate ? FloatVector.fromArray(S, y, r0 + 3 * cols) : FloatVector.zero(S);
      FloatVector c4 = accumulate ? FloatVector.fromArray(S, y, r0 + 4 * cols) : FloatVector.zero(S);
      FloatVector c5 = accumulate ? FloatVector.fromArray(S, y, r0 + 5 * cols) : FloatVector.zero(S);
      int x0 = xo, x1 = xo + rows, x2 = xo + 2 * rows, x3 = xo + 3 * rows, x4 = xo + 4 * rows, x5 = xo + 5 * rows;
      for (int i = 0; i < rows; i++) {
        FloatVector w0 = FloatVector.fromArray(S, w, i * cols + j);
        c0 = FloatVector.broadcast(S, x[x0 + i]).fma(w0, c0);
        c1 = FloatVector.broadcast(S, x[x1 + i]).fma(w0, c1);
        c2 = FloatVector.broadcast(S, x[x2 + i]).fma(w0, c2);
        c3 = FloatVector.broadcast(S, x[x3 + i]).fma(w0, c3);
        c4 = FloatVector.broadcast(S, x[x4 + i]).fma(w0, c4);
        c5 = FloatVector.broadcast(S, x[x5 + i]).fma(w0, c5);
      }
      int y0 = yo + j;
      c0.intoArray(y, y0);
      c1.intoArray(y, y0 + cols);
      c2.intoArray(y, y0 + 2 * cols);
      c3.intoArray(y, y0 + 3 * cols);
      c4.intoArray(y, y0 + 4 * cols);
      c5.intoArray(y, y0 + 5 * cols);
    }

    /**
     * The last partial column vector of three tokens (called twice per block of six); the mask is
     * made here, not passed in (a mask crossing a call that is not inlined is boxed). Three, not
     * six: with six masked accumulators C1 runs out of virtual registers ("COMPILE SKIPPED"), and the
     * method was then seen to stay in its tier-2 code, which boxes every vector, instead of
     * reaching C2.
     */
    private static void gemm3x1Masked(float[] x, int xo, int rows, float[] w, int cols, int j, float[] y, int yo,
        boolean accumulate) {
      VectorMask<Float> m = S.indexInRange(j, cols);
      int r0 = yo + j;
      FloatVector c0 = accumulate ? FloatVector.fromArray(S, y, r0, m) : FloatVector.zero(S);
      FloatVector c1 = accumulate ? FloatVector.fromArray(S, y, r0 + cols, m) : FloatVector.zero(S);
      FloatVector c2 = accumulate ? FloatVector.fromArray(S, y, r0 + 2 * cols, m) : FloatVector.zero(S);
      int x0 = xo, x1 = xo + rows, x2 = xo + 2 * rows;
      for (int i = 0; i < rows; i++) {
        FloatVector w0 = FloatVector.fromArray(S, w, i * cols + j, m);
        c0 = FloatVector.broadcast(S, x[x0 + i]).fma(w0, c0);
        c1 = FloatVector.broadcast(S, x[x1 + i]).fma(w0, c1);
        c2 = FloatVector.broadcast(S, x[x2 + i]).fma(w0, c2);
      }
      c0.intoArray(y, r0, m);
      c1.intoArray(y, r0 + cols, m);
      c2.intoArray(y, r0 + 2 * cols, m);
    }

    // ---------------------------------------------------------------- many rows, the single-row bits

    static void gemvBf16DenseRows(int[] packed, int packedCols, float[] dense, int denseCols, float[] full,
        int rows, float[] x, int xOff, int tokens, float[] y, int yOff) {
      int cols = packedCols + denseCols;
      int t = 0;
      if (packedCols == 8 * L && denseCols == L) {
        // The fused single-row kernel (gemvBf16x4Dense1) sums each output as one FMA chain over the
        // inputs in order, and so does every gemm micro-kernel over whole blocks of MR rows: the
        // fp32 copy holds the same (bf16-exact) values, so the products are the same bits. The
        // gemm's token tail goes through gemv, which splits its chains: the rest is done row by row.
        if (MANY_REGS) {
          // The shape is 9 column vectors: three blocks of 8 rows x 3 vectors (24 chains), every
          // weight load feeding 8 FMAs, and no narrow block left over.
          for (; t + 8 <= tokens; t += 8) {
            int xo = xOff + t * rows;
            int yo = yOff + t * cols;
            for (int j = 0; j < cols; j += 3 * L) {
              gemm8x3(x, xo, rows, full, cols, j, y, yo);
            }
          }
        } else {
          int whole = tokens - tokens % MR;
          gemm(x, xOff, whole, full, rows, cols, y, yOff, false);
          t = whole;
        }
      }
      for (; t < tokens; t++) {
        gemvBf16Dense(packed, packedCols, dense, denseCols, rows, x, xOff + t * rows, y, yOff + t * cols);
      }
    }

    /** Eight rows of x times three column vectors of w from column j, each output one FMA chain from zero. */
    private static void gemm8x3(float[] x, int xo, int rows, float[] w, int cols, int j, float[] y, int yo) {
      FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
      FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
      FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
      FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S);
      FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S);
      FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S);
      FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c62 = FloatVector.zero(S);
      FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S), c72 = FloatVector.zero(S);
      for (int i = 0; i < rows; i++) {
        int o = i * cols + j;
        FloatVector w0 = FloatVector.fromArray(S, w, o);
        FloatVector w1 = FloatVector.fromArray(S, w, o + L);
        FloatVector w2 = FloatVector.fromArray(S, w, o + 2 * L);
        int xi = xo + i;
        FloatVector b = FloatVector.broadcast(S, x[xi]);
        c00 = b.fma(w0, c00); c01 = b.fma(w1, c01); c02 = b.fma(w2, c02);
        b = FloatVector.broadcast(S, x[xi + rows]);
        c10 = b.fma(w0, c10); c11 = b.fma(w1, c11); c12 = b.fma(w2, c12);
        b = FloatVector.broadcast(S, x[xi + 2 * rows]);
        c20 = b.fma(w0, c20); c21 = b.fma(w1, c21); c22 = b.fma(w2, c22);
        b = FloatVector.broadcast(S, x[xi + 3 * rows]);
        c30 = b.fma(w0, c30); c31 = b.fma(w1, c31); c32 = b.fma(w2, c32);
        b = FloatVector.broadcast(S, x[xi + 4 * rows]);
        c40 = b.fma(w0, c40); c41 = b.fma(w1, c41); c42 = b.fma(w2, c42);
        b = FloatVector.broadcast(S, x[xi + 5 * rows]);
        c50 = b.fma(w0, c50); c51 = b.fma(w1, c51); c52 = b.fma(w2, c52);
        b = FloatVector.broadcast(S, x[xi + 6 * rows]);
        c60 = b.fma(w0, c60); c61 = b.fma(w1, c61); c62 = b.fma(w2, c62);
        b = FloatVector.broadcast(S, x[xi + 7 * rows]);
        c70 = b.fma(w0, c70); c71 = b.fma(w1, c71); c72 = b.fma(w2, c72);
      }
      int y0 = yo + j;
      c00.intoArray(y, y0); c01.intoArray(y, y0 + L); c02.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c10.intoArray(y, y0); c11.intoArray(y, y0 + L); c12.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c20.intoArray(y, y0); c21.intoArray(y, y0 + L); c22.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c30.intoArray(y, y0); c31.intoArray(y, y0 + L); c32.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c40.intoArray(y, y0); c41.intoArray(y, y0 + L); c42.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c50.intoArray(y, y0); c51.intoArray(y, y0 + L); c52.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c60.intoArray(y, y0); c61.intoArray(y, y0 + L); c62.intoArray(y, y0 + 2 * L);
      y0 += cols;
      c70.intoArray(y, y0); c71.intoArray(y, y0 + L); c72.intoArray(y, y0 + 2 * L);
    }

    static void gemvEach(float[] w, int rows, int cols, float[][] xs, float[][] ys, int n, boolean accumulate) {
      int r = 0;
      if (cols == 4 * L) {
        // gemv takes this shape in gemv4 (even and odd inputs in two chains per column vector);
        // three rows at a time share each weight vector load, with the same chains per row.
        for (; r + 3 <= n; r += 3) {
          gemv4x3(w, rows, cols, xs[r], xs[r + 1], xs[r + 2], ys[r], ys[r + 1], ys[r + 2], accumulate);
        }
      }
      for (; r < n; r++) {
        gemv(w, rows, cols, xs[r], 0, ys[r], 0, accumulate);
      }
    }

    /** {@link #gemv4} (cols = 4L, j = 0) for three vectors at once, chain for chain. */
    private static void gemv4x3(float[] w, int rows, int cols, float[] x0, float[] x1, float[] x2, float[] y0,
        float[] y1, float[] y2, boolean accumulate) {
      FloatVector a00 = accumulate ? FloatVector.fromArray(S, y0, 0) : FloatVector.zero(S);
      FloatVector a01 = accumulate ? FloatVector.fromArray(S, y0, L) : FloatVector.zero(S);
      FloatVector a02 = accumulate ? FloatVector.fromArray(S, y0, 2 * L) : FloatVector.zero(S);
      FloatVector a03 = accumulate ? FloatVector.fromArray(S, y0, 3 * L) : FloatVector.zero(S);
      FloatVector a10 = accumulate ? FloatVector.fromArray(S, y1, 0) : FloatVector.zero(S);
      FloatVector a11 = accumulate ? FloatVector.fromArray(S, y1, L) : FloatVector.zero(S);
      FloatVector a12 = accumulate ? FloatVector.fromArray(S, y1, 2 * L) : FloatVector.zero(S);
      FloatVector a13 = accumulate ? FloatVector.fromArray(S, y1, 3 * L) : FloatVector.zero(S);
      FloatVector a20 = accumulate ? FloatVector.fromArray(S, y2, 0) : FloatVector.zero(S);
      FloatVector a21 = accumulate ? FloatVector.fromArray(S, y2, L) : FloatVector.zero(S);
      FloatVector a22 = accumulate ? FloatVector.fromArray(S, y2, 2 * L) : FloatVector.zero(S);
      FloatVector a23 = accumulate ? FloatVector.fromArray(S, y2, 3 * L) : FloatVector.zero(S);
      FloatVector b00 = FloatVector.zero(S), b01 = FloatVector.zero(S);
      FloatVector b02 = FloatVector.zero(S), b03 = FloatVector.zero(S);
      FloatVector b10 = FloatVector.zero(S), b11 = FloatVector.zero(S);
      FloatVector b12 = FloatVector.zero(S), b13 = FloatVector.zero(S);
      FloatVector b20 = FloatVector.zero(S), b21 = FloatVector.zero(S);
      FloatVector b22 = FloatVector.zero(S), b23 = FloatVector.zero(S);
      int i = 0;
      for (; i + 1 < rows; i += 2) {
        int o = i * cols;
        FloatVector w0 = FloatVector.fromArray(S, w, o);
        FloatVector w1 = FloatVector.fromArray(S, w, o + L);
        FloatVector w2 = FloatVector.fromArray(S, w, o + 2 * L);
        FloatVector w3 = FloatVector.fromArray(S, w, o + 3 * L);
        FloatVector v = FloatVector.broadcast(S, x0[i]);
        a00 = v.fma(w0, a00); a01 = v.fma(w1, a01); a02 = v.fma(w2, a02); a03 = v.fma(w3, a03);
        v = FloatVector.broadcast(S, x1[i]);
        a10 = v.fma(w0, a10); a11 = v.fma(w1, a11); a12 = v.fma(w2, a12); a13 = v.fma(w3, a13);
        v = FloatVector.broadcast(S, x2[i]);
        a20 = v.fma(w0, a20); a21 = v.fma(w1, a21); a22 = v.fma(w2, a22); a23 = v.fma(w3, a23);
        o += cols;
        w0 = FloatVector.fromArray(S, w, o);
        w1 = FloatVector.fromArray(S, w, o + L);
        w2 = FloatVector.fromArray(S, w, o + 2 * L);
        w3 = FloatVector.fromArray(S, w, o + 3 * L);
        v = FloatVector.broadcast(S, x0[i + 1]);
        b00 = v.fma(w0, b00); b01 = v.fma(w1, b01); b02 = v.fma(w2, b02); b03 = v.fma(w3, b03);
        v = FloatVector.broadcast(S, x1[i + 1]);
        b10 = v.fma(w0, b10); b11 = v.fma(w1, b11); b12 = v.fma(w2, b12); b13 = v.fma(w3, b13);
        v = FloatVector.broadcast(S, x2[i + 1]);
        b20 = v.fma(w0, b20); b21 = v.fma(w1, b21); b22 = v.fma(w2, b22); b23 = v.fma(w3, b23);
      }
      if (i < rows) {
        int o = i * cols;
        FloatVector w0 = FloatVector.fromArray(S, w, o);
        FloatVector w1 = FloatVector.fromArray(S, w, o + L);
        FloatVector w2 = FloatVector.fromArray(S, w, o + 2 * L);
        FloatVector w3 = FloatVector.fromArray(S, w, o + 3 * L);
        FloatVector v = FloatVector.broadcast(S, x0[i]);
        a00 = v.fma(w0, a00); a01 = v.fma(w1, a01); a02 = v.fma(w2, a02); a03 = v.fma(w3, a03);
        v = FloatVector.broadcast(S, x1[i]);
        a10 = v.fma(w0, a10); a11 = v.fma(w1, a11); a12 = v.fma(w2, a12); a13 = v.fma(w3, a13);
        v = FloatVector.broadcast(S, x2[i]);
        a20 = v.fma(w0, a20); a21 = v.fma(w1, a21); a22 = v.fma(w2, a22); a23 = v.fma(w3, a23);
      }
      a00.add(b00).intoArray(y0, 0); a01.add(b01).intoArray(y0, L);
      a02.add(b02).intoArray(y0, 2 * L); a03.add(b03).intoArray(y0, 3 * L);
      a10.add(b10).intoArray(y1, 0); a11.add(b11).intoArray(y1, L);
      a12.add(b12).intoArray(y1, 2 * L); a13.add(b13).intoArray(y1, 3 * L);
      a20.add(b20).intoArray(y2, 0); a21.add(b21).intoArray(y2, L);
      a22.add(b22).intoArray(y2, 2 * L); a23.add(b23).intoArray(y2, 3 * L);
    }

    // ---------------------------------------------------------------- bf16 gemv

    /** Int species of the same shape as S: one int of packed bf16 pairs widens to two float lanes. */
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());

    static void gemvBf16(int[] packed, int rows, int cols, float[] x, int xOff, float[] y, int yOff,
        boolean accumulate) {
      // Int vectors ("chunks") of L ints cover full 32-column blocks; a chunk at int offset c*L of
      // a row widens into columns [32b + q, +L) (low halves) and [32b + 16 + q, +L) (high halves),
      // with b = c*L / 16 and q = c*L % 16. Four chunks (eight float accumulators) per pass over
      // the rows keep every output in registers while the weights stream once.
      int stride = Bf16.stride(cols);
      int fullChunks = (cols / 32) * 16 / L;
      int c = 0;
      for (; c + 4 <= fullChunks; c += 4) {
        gemvBf16x4(packed, rows, stride, c, x, xOff, y, yOff, accumulate);
      }
      for (; c < fullChunks; c++) {
        gemvBf16x1(packed, rows, stride, c, x, xOff, y, yOff, accumulate);
      }
      int done = (cols / 32) * 32;
      if (done < cols) {
        // Partial last block: scalar, at most 31 columns.
        for (int j = done; j < cols; j++) {
          float s = accumulate ? y[yOff + j] : 0f;
          for (int i = 0; i < rows; i++) {
            s = Math.fma(x[xOff + i], Bf16.get(packed, stride, i, j), s);
          }
          y[yOff + j] = s;
        }
      }
    }

    static void gemvBf16Dense(int[] packed, int packedCols, float[] dense, int denseCols, int rows, float[] x,
        int xOff, float[] y, int yOff) {
      // The shape of the gating cell with H = 64 and 16 experts on 16 lanes (128 packed columns =
      // four chunks, one dense vector) fuses into a single pass over x with nine accumulators;
      // any other shape takes two passes.
      if (packedCols == 8 * L && denseCols == L) {
        gemvBf16x4Dense1(packed, packedCols, dense, rows, x, xOff, y, yOff);
        return;
      }
      gemvBf16(packed, rows, packedCols, x, xOff, y, yOff, false);
      gemv(dense, rows, denseCols, x, xOff, y, yOff + packedCols, false);
    }

    private static void gemvBf16x4Dense1(int[] packed, int packedCols, float[] dense, int rows, float[] x,
        int xOff, float[] y, int yOff) {
      int stride = Bf16.stride(packedCols);
      FloatVector a0 = FloatVector.zero(S), b0 = FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S), b1 = FloatVector.zero(S);
      FloatVector a2 = FloatVector.zero(S), b2 = FloatVector.zero(S);
      FloatVector a3 = FloatVector.zero(S), b3 = FloatVector.zero(S);
      FloatVector d0 = FloatVector.zero(S);
      for (int i = 0; i < rows; i++) {
        int o = i * stride;
        FloatVector xi = FloatVector.broadcast(S, x[xOff + i]);
        IntVector v0 = IntVector.fromArray(IS, packed, o);
        IntVector v1 = IntVector.fromArray(IS, packed, o + L);
        IntVector v2 = IntVector.fromArray(IS, packed, o + 2 * L);
        IntVector v3 = IntVector.fromArray(IS, packed, o + 3 * L);
        a0 = xi.fma(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
        b0 = xi.fma(v0.and(0xffff0000).reinterpretAsFloats(), b0);
        a1 = xi.fma(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a1);
        b1 = xi.fma(v1.and(0xffff0000).reinterpretAsFloats(), b1);
        a2 = xi.fma(v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a2);
        b2 = xi.fma(v2.and(0xffff0000).reinterpretAsFloats(), b2);
        a3 = xi.fma(v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a3);
        b3 = xi.fma(v3.and(0xffff0000).reinterpretAsFloats(), b3);
        d0 = xi.fma(FloatVector.fromArray(S, dense, i * L), d0);
      }
      a0.intoArray(y, yOff + loCol(0));
      b0.intoArray(y, yOff + loCol(0) + 16);
      a1.intoArray(y, yOff + loCol(1));
      b1.intoArray(y, yOff + loCol(1) + 16);
      a2.intoArray(y, yOff + loCol(2));
      b2.intoArray(y, yOff + loCol(2) + 16);
      a3.intoArray(y, yOff + loCol(3));
      b3.intoArray(y, yOff + loCol(3) + 16);
      d0.intoArray(y, yOff + packedCols);
    }

    private static int loCol(int chunk) {
      int e = chunk * L;
      return (e >>> 4) * 32 + (e & 15);
    }

    private static void gemvBf16x4(int[] packed, int rows, int stride, int c, float[] x, int xOff, float[] y,
        int yOff, boolean accumulate) {
      int l0 = yOff + loCol(c), l1 = yOff + loCol(c + 1), l2 = yOff + loCol(c + 2), l3 = yOff + loCol(c + 3);
      FloatVector a0 = accumulate ? FloatVector.fromArray(S, y, l0) : FloatVector.zero(S);
      FloatVector b0 = accumulate ? FloatVector.fromArray(S, y, l0 + 16) : FloatVector.zero(S);
      FloatVector a1 = accumulate ? FloatVector.fromArray(S, y, l1) : FloatVector.zero(S);
      FloatVector b1 = accumulate ? FloatVector.fromArray(S, y, l1 + 16) : FloatVector.zero(S);
      FloatVector a2 = accumulate ? FloatVector.fromArray(S, y, l2) : FloatVector.zero(S);
      FloatVector b2 = accumulate ? FloatVector.fromArray(S, y, l2 + 16) : FloatVector.zero(S);
      FloatVector a3 = accumulate ? FloatVector.fromArray(S, y, l3) : FloatVector.zero(S);
      FloatVector b3 = accumulate ? FloatVector.fromArray(S, y, l3 + 16) : FloatVector.zero(S);
      int base = c * L;
      for (int i = 0; i < rows; i++) {
        int o = i * stride + base;
        FloatVector xi = FloatVector.broadcast(S, x[xOff + i]);
        IntVector v0 = IntVector.fromArray(IS, packed, o);
        IntVector v1 = IntVector.fromArray(IS, packed, o + L);
        IntVector v2 = IntVector.fromArray(IS, packed, o + 2 * L);
        IntVector v3 = IntVector.fromArray(IS, packed, o + 3 * L);
        // Low half: shift into the top of the float; high half: already on top, mask the low bits.
        a0 = xi.fma(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
        b0 = xi.fma(v0.and(0xffff0000).reinterpretAsFloats(), b0);
        a1 = xi.fma(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a1);
        b1 = xi.fma(v1.and(0xffff0000).reinterpretAsFloats(), b1);
        a2 = xi.fma(v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a2);
        b2 = xi.fma(v2.and(0xffff0000).reinterpretAsFloats(), b2);
        a3 = xi.fma(v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a3);
        b3 = xi.fma(v3.and(0xffff0000).reinterpretAsFloats(), b3);
      }
      a0.intoArray(y, l0);
      b0.intoArray(y, l0 + 16);
      a1.intoArray(y, l1);
      b1.intoArray(y, l1 + 16);
      a2.intoArray(y, l2);
      b2.intoArray(y, l2 + 16);
      a3.intoArray(y, l3);
      b3.intoArray(y, l3 + 16);
    }

    private static void gemvBf16x1(int[] packed, int rows, int stride, int c, float[] x, int xOff, float[] y,
        int yOff, boolean accumulate) {
      // One chunk: two chains per half over even and odd rows, to cover the FMA latency.
      int l0 = yOff + loCol(c);
      FloatVector a0 = accumulate ? FloatVector.fromArray(S, y, l0) : FloatVector.zero(S);
      FloatVector b0 = accumulate ? FloatVector.fromArray(S, y, l0 + 16) : FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S);
      FloatVector b1 = FloatVector.zero(S);
      int base = c * L;
      int i = 0;
      for (; i + 1 < rows; i += 2) {
        int o = i * stride + base;
        FloatVector xa = FloatVector.broadcast(S, x[xOff + i]);
        FloatVector xb = FloatVector.broadcast(S, x[xOff + i + 1]);
        IntVector v0 = IntVector.fromArray(IS, packed, o);
        IntVector v1 = IntVector.fromArray(IS, packed, o + stride);
        a0 = xa.fma(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
        b0 = xa.fma(v0.and(0xffff0000).reinterpretAsFloats(), b0);
        a1 = xb.fma(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a1);
        b1 = xb.fma(v1.and(0xffff0000).reinterpretAsFloats(), b1);
      }
      for (; i < rows; i++) {
        FloatVector xa = FloatVector.broadcast(S, x[xOff + i]);
        IntVector v0 = IntVector.fromArray(IS, packed, i * stride + base);
        a0 = xa.fma(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
        b0 = xa.fma(v0.and(0xffff0000).reinterpretAsFloats(), b0);
      }
      a0.add(a1).intoArray(y, l0);
      b0.add(b1).intoArray(y, l0 + 16);
    }

    // ---------------------------------------------------------------- element-wise kernels
    //
    // Shape: whole vectors up to loopBound, then a scalar tail with the reference's own math. No
    // unrolling and no masked tail here: every Vector API call expands into many nodes before it
    // collapses into an intrinsic, a masked access with its out-of-range path into even more, and
    // a compilation that passes the node budget stops inlining. One copy of the vector math per
    // kernel keeps these kernels cheap to inline into a caller. Iterations are independent, so
    // out-of-order execution overlaps them without an explicit unroll.

    static void tanh(float[] a, int off, int n) {
      int i = 0;
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        FloatVector v = FloatVector.fromArray(S, a, off + i);
        // ---- tanh(v), see TANH_CLAMP (same lines in liquidEuler and closedForm)
        FloatVector x = v.min(TANH_CLAMP).max(-TANH_CLAMP);
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(TA13).add(TA11).mul(x2).add(TA9).mul(x2).add(TA7).mul(x2).add(TA5)
            .mul(x2).add(TA3).mul(x2).add(TA1).mul(x);
        FloatVector q = x2.mul(TB6).add(TB4).mul(x2).add(TB2).mul(x2).add(TB0);
        FloatVector t = p.div(q).blend(v, v.abs().compare(VectorOperators.LT, TANH_TINY));
        // ----
        t.intoArray(a, off + i);
      }
      for (; i < n; i++) {
        a[off + i] = Approx.tanh(a[off + i]);
      }
    }

    static void inverseTau(float[] pre, int preOff, float[] invTau, int n, float tauMin, float tauMax) {
      FloatVector lo = FloatVector.broadcast(S, tauMin);
      FloatVector hi = FloatVector.broadcast(S, tauMax);
      int i = 0;
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        FloatVector v = FloatVector.fromArray(S, pre, preOff + i);
        // Stable softplus: max(v, 0) + log1p(exp(-|v|)), the sequence of Approx.softplus.
        v.abs().neg().intoArray(invTau, i);
        exp(invTau, i);
        FloatVector y = FloatVector.fromArray(S, invTau, i);
        // ---- log1p(y) for y in [0, 1], the sequence of Approx.log1pUnit
        FloatVector ls = y.div(y.add(2f));
        FloatVector ls2 = ls.mul(ls);
        FloatVector lp = FloatVector.broadcast(S, Approx.L11).fma(ls2, FloatVector.broadcast(S, Approx.L9));
        lp = lp.fma(ls2, FloatVector.broadcast(S, Approx.L7));
        lp = lp.fma(ls2, FloatVector.broadcast(S, Approx.L5));
        lp = lp.fma(ls2, FloatVector.broadcast(S, Approx.L3));
        lp = lp.fma(ls2, FloatVector.broadcast(S, 1f));
        // ----
        FloatVector sp = v.max(0f).add(ls.mul(2f).mul(lp));
        FloatVector tau = sp.add(lo);
        // Compare-and-blend clamp: NaN fails every comparison and lands on tauMax.
        VectorMask<Float> inRange = tau.compare(VectorOperators.GE, lo).and(tau.compare(VectorOperators.LE, hi));
        FloatVector c = hi.blend(tau, inRange).blend(lo, tau.compare(VectorOperators.LT, lo));
        FloatVector.broadcast(S, 1f).div(c).intoArray(invTau, i);
      }
      for (; i < n; i++) {
        float v = pre[preOff + i];
        float tau = tauMin + Approx.softplus(v);
        tau = tau >= tauMin ? (tau <= tauMax ? tau : tauMax) : (tau < tauMin ? tauMin : tauMax);
        invTau[i] = 1f / tau;
      }
    }

    static void liquidEuler(float[] h, float[] drive, float[] invTau, float dt, float bound, int n) {
      FloatVector vdt = FloatVector.broadcast(S, dt);
      int i = 0;
      int lb = S.loopBound(n);
      for (; i < lb; i += L) {
        FloatVector hv = FloatVector.fromArray(S, h, i);
        FloatVector d = FloatVector.fromArray(S, drive, i);
        FloatVector v = d.blend(0f, d.test(VectorOperators.IS_NAN));
        // ---- s = tanh(v), see TANH_CLAMP
        FloatVector x = v.min(TANH_CLAMP).max(-TANH_CLAMP);
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(TA13).add(TA11).mul(x2).add(TA9).mul(x2).add(TA7).mul(x2).add(TA5)
            .mul(x2).add(TA3).mul(x2).add(TA1).mul(x);
        FloatVector q = x2.mul(TB6).add(TB4).mul(x2).add(TB2).mul(x2).add(TB0);
        FloatVector s = p.div(q).blend(v, v.abs().compare(VectorOperators.LT, TANH_TINY));
        // ----
        // Same rounding sequence as the reference: product, difference, then one fused step.
        FloatVector next = vdt.fma(s.sub(hv.mul(FloatVector.fromArray(S, invTau, i))), hv);
        // Java min/max semantics (exact, NaN-propagating) make the bound hold bit-for-bit.
        FloatVector lim = hv.abs().max(bound);
        next.max(lim.neg()).min(lim).intoArray(h, i);
      }
      for (; i < n; i++) {
        float d = drive[i];
        float s = d != d ? 0f : Approx.tanh(d);
        float hi = h[i];
        float next = Math.fma(dt, s - hi * invTau[i], hi);
        float lim = Math.max(Math.abs(hi), bound);
        h[i] = Math.min(Math.max(next, -lim), lim);
      }
    }

    static void closedForm(float[] h, float[] drive, float[] invTau, float delta, int n) {
      int i = 0;
      int lb = S.loopBound(n);
      for (; i < lb; i += L) {
        FloatVector hv = FloatVector.fromArray(S, h, i);
        FloatVector d = FloatVector.fromArray(S, drive, i);
        FloatVector it = FloatVector.fromArray(S, invTau, i);
        FloatVector v = d.blend(0f, d.test(VectorOperators.IS_NAN));
        // ---- s = tanh(v), see TANH_CLAMP
        FloatVector x = v.min(TANH_CLAMP).max(-TANH_CLAMP);
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(TA13).add(TA11).mul(x2).add(TA9).mul(x2).add(TA7).mul(x2).add(TA5)
            .mul(x2).add(TA3).mul(x2).add(TA1).mul(x);
        FloatVector q = x2.mul(TB6).add(TB4).mul(x2).add(TB2).mul(x2).add(TB0);
        FloatVector s = p.div(q).blend(v, v.abs().compare(VectorOperators.LT, TANH_TINY));
        // ----
        it.mul(-delta).intoArray(h, i);
        exp(h, i);
        FloatVector g = FloatVector.fromArray(S, h, i);
        // g*h + (1-g)*(s/invTau)
        g.mul(hv).add(g.neg().add(1f).mul(s.div(it))).intoArray(h, i);
      }
      for (; i < n; i++) {
        float d = drive[i];
        float s = d != d ? 0f : Approx.tanh(d);
        float g = Approx.exp(-delta * invTau[i]);
        h[i] = g * h[i] + (1f - g) * (s / invTau[i]);
      }
    }

    static void liquidTimeConstants(float[] pre, int preOff, float[] invTau, int invOff, float[] slope, int slopeOff,
        int n, float tauMin, float tauMax) {
      FloatVector lo = FloatVector.broadcast(S, tauMin);
      FloatVector hi = FloatVector.broadcast(S, tauMax);
      FloatVector one = FloatVector.broadcast(S, 1f);
      int i = 0;
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        FloatVector v = FloatVector.fromArray(S, pre, preOff + i);
        v.abs().neg().intoArray(invTau, invOff + i);
        exp(invTau, invOff + i);
        FloatVector e = FloatVector.fromArray(S, invTau, invOff + i);
        // ---- log1p(e) for e in [0, 1], the sequence of Approx.log1pUnit
        FloatVector ls = e.div(e.add(2f));
        FloatVector ls2 = ls.mul(ls);
        FloatVector lp = FloatVector.broadcast(S, Approx.L11).fma(ls2, FloatVector.broadcast(S, Approx.L9));
        lp = lp.fma(ls2, FloatVector.broadcast(S, Approx.L7));
        lp = lp.fma(ls2, FloatVector.broadcast(S, Approx.L5));
        lp = lp.fma(ls2, FloatVector.broadcast(S, Approx.L3));
        lp = lp.fma(ls2, one);
        // ----
        FloatVector tau = v.max(0f).add(ls.mul(2f).mul(lp)).add(lo);
        one.div(tau.max(lo).min(hi)).intoArray(invTau, invOff + i);
        VectorMask<Float> clamped = tau.compare(VectorOperators.GT, hi).or(tau.compare(VectorOperators.LT, lo));
        e.blend(one, v.compare(VectorOperators.GE, 0f)).div(e.add(1f)).blend(0f, clamped)
            .intoArray(slope, slopeOff + i);
      }
      for (; i < n; i++) {
        float a = pre[preOff + i];
        float e = Approx.exp(-Math.abs(a));
        float tau = tauMin + (Math.max(a, 0f) + Approx.log1pUnit(e));
        invTau[invOff + i] = 1f / Math.min(Math.max(tau, tauMin), tauMax);
        slope[slopeOff + i] = tau > tauMax || tau < tauMin ? 0f : (a >= 0f ? 1f : e) / (1f + e);
      }
    }

    static void liquidEulerForward(float[] h, int hOff, float[] drive, int dOff, float[] invTau, int iOff, float dt,
        float bound, int n) {
      FloatVector vdt = FloatVector.broadcast(S, dt);
      int i = 0;
      int lb = S.loopBound(n);
      for (; i < lb; i += L) {
        FloatVector hv = FloatVector.fromArray(S, h, hOff + i);
        FloatVector v = FloatVector.fromArray(S, drive, dOff + i);
        // ---- s = tanh(v), see TANH_CLAMP
        FloatVector x = v.min(TANH_CLAMP).max(-TANH_CLAMP);
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(TA13).add(TA11).mul(x2).add(TA9).mul(x2).add(TA7).mul(x2).add(TA5)
            .mul(x2).add(TA3).mul(x2).add(TA1).mul(x);
        FloatVector q = x2.mul(TB6).add(TB4).mul(x2).add(TB2).mul(x2).add(TB0);
        FloatVector s = p.div(q).blend(v, v.abs().compare(VectorOperators.LT, TANH_TINY));
        // ----
        s.intoArray(drive, dOff + i);
        FloatVector next = vdt.fma(s.sub(hv.mul(FloatVector.fromArray(S, invTau, iOff + i))), hv);
        FloatVector lim = hv.abs().max(bound);
        next.max(lim.neg()).min(lim).intoArray(h, hOff + i);
      }
      for (; i < n; i++) {
        float s = Approx.tanh(drive[dOff + i]);
        drive[dOff + i] = s;
        float hi = h[hOff + i];
        float next = Math.fma(dt, s - hi * invTau[iOff + i], hi);
        float lim = Math.max(Math.abs(hi), bound);
        h[hOff + i] = Math.min(Math.max(next, -lim), lim);
      }
    }

    static void liquidEulerBackward(float[] g, int gOff, float[] h, int hOff, float[] s, int sOff, float[] invTau,
        int iOff, float dt, float[] dDrive, int ddOff, float[] dDriveSum, int dsOff, float[] gInvTau, int giOff, int n) {
      FloatVector one = FloatVector.broadcast(S, 1f);
      int i = 0;
      int lb = S.loopBound(n);
      for (; i < lb; i += L) {
        FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
        FloatVector sv = FloatVector.fromArray(S, s, sOff + i);
        FloatVector gs = gv.mul(dt);
        FloatVector dd = gs.mul(one.sub(sv.mul(sv)));
        dd.intoArray(dDrive, ddOff + i);
        FloatVector.fromArray(S, dDriveSum, dsOff + i).add(dd).intoArray(dDriveSum, dsOff + i);
        FloatVector ngs = gs.neg();
        ngs.fma(FloatVector.fromArray(S, h, hOff + i), FloatVector.fromArray(S, gInvTau, giOff + i))
            .intoArray(gInvTau, giOff + i);
        ngs.fma(FloatVector.fromArray(S, invTau, iOff + i), gv).intoArray(g, gOff + i);
      }
      for (; i < n; i++) {
        float gi = g[gOff + i];
        float si = s[sOff + i];
        float gs = gi * dt;
        float dd = gs * (1f - si * si);
        dDrive[ddOff + i] = dd;
        dDriveSum[dsOff + i] += dd;
        gInvTau[giOff + i] = Math.fma(-gs, h[hOff + i], gInvTau[giOff + i]);
        g[gOff + i] = Math.fma(-gs, invTau[iOff + i], gi);
      }
    }

    /**
     * {@code a[off..off+L) = exp(a[off..off+L))} lane by lane: the sequence of {@link Approx#exp}, so
     * bit for bit its value. Through an array, not a vector argument: when C2 does not inline it
     * (once it has been compiled on its own it may stay out of its callers), a vector crossing the
     * call would be boxed on every call; the callers stage the argument in an output they own.
     */
    static void exp(float[] a, int off) {
      FloatVector x = FloatVector.fromArray(S, a, off);
      FloatVector ex = x.min(Approx.EXP_HI).max(Approx.EXP_LO);
      FloatVector et = ex.mul(Approx.LOG2E).add(Approx.ROUND);
      FloatVector nf = et.sub(Approx.ROUND);
      FloatVector er = nf.fma(FloatVector.broadcast(S, -Approx.LN2_HI), ex);
      er = nf.fma(FloatVector.broadcast(S, -Approx.LN2_LO), er);
      FloatVector ep = FloatVector.broadcast(S, Approx.E6).fma(er, FloatVector.broadcast(S, Approx.E5));
      ep = ep.fma(er, FloatVector.broadcast(S, Approx.E4));
      ep = ep.fma(er, FloatVector.broadcast(S, Approx.E3));
      ep = ep.fma(er, FloatVector.broadcast(S, Approx.E2));
      ep = ep.fma(er, FloatVector.broadcast(S, 1f));
      ep = ep.fma(er, FloatVector.broadcast(S, 1f));
      ep.mul(et.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()).intoArray(a, off);
    }

    static void lifForward(float[] x, int xOff, float[] v, int vOff, float[] h, int hOff, float[] s, int sOff, int n,
        float invTau, float threshold, boolean hardReset) {
      FloatVector zero = FloatVector.zero(S);
      FloatVector one = FloatVector.broadcast(S, 1f);
      FloatVector it = FloatVector.broadcast(S, invTau);
      int i = 0;
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        FloatVector vv = FloatVector.fromArray(S, v, vOff + i);
        FloatVector hh = FloatVector.fromArray(S, x, xOff + i).sub(vv).fma(it, vv);
        VectorMask<Float> fire = hh.compare(VectorOperators.GE, threshold);
        FloatVector ss = zero.blend(one, fire);
        hh.intoArray(h, hOff + i);
        ss.intoArray(s, sOff + i);
        (hardReset ? hh.blend(zero, fire) : hh.sub(ss.mul(threshold))).intoArray(v, vOff + i);
      }
      if (i < n) {
        TAIL.lifForward(x, xOff + i, v, vOff + i, h, hOff + i, s, sOff + i, n - i, invTau, threshold, hardReset);
      }
    }

    static void lifBackward(float[] gS, int gsOff, float[] h, int hOff, float[] s, int sOff, float[] gV, int gvOff,
        float[] gX, int gxOff, int n, float invTau, float threshold, boolean hardReset, boolean detachReset,
        int surrogate, float alpha) {
      float decay = 1f - invTau;
      float k = (float) (Math.PI / 2) * alpha;
      float half = alpha * 0.5f;
      FloatVector one = FloatVector.broadcast(S, 1f);
      int i = 0;
      int bound = S.loopBound(n);
      for (; i < bound; i += L) {
        FloatVector hh = FloatVector.fromArray(S, h, hOff + i);
        // Read before exp stages its argument in gX, which may be gS itself.
        FloatVector gsv = FloatVector.fromArray(S, gS, gsOff + i);
        FloatVector gvv = FloatVector.fromArray(S, gV, gvOff + i);
        FloatVector u = hh.sub(threshold);
        FloatVector sg;
        if (surrogate == SURROGATE_ARCTAN) {
          FloatVector q = u.mul(k);
          sg = FloatVector.broadcast(S, half).div(q.fma(q, one));
        } else {
          u.mul(alpha).neg().intoArray(gX, gxOff + i);
          exp(gX, gxOff + i);
          FloatVector p = one.div(one.add(FloatVector.fromArray(S, gX, gxOff + i)));
          sg = p.mul(alpha).mul(one.sub(p));
        }
        FloatVector dv;
        if (hardReset) {
          FloatVector keep = one.sub(FloatVector.fromArray(S, s, sOff + i));
          dv = detachReset ? keep : keep.sub(hh.mul(sg));
        } else {
          dv = detachReset ? one : one.sub(sg.mul(threshold));
        }
        FloatVector gh = gsv.fma(sg, gvv.mul(dv));
        gh.mul(invTau).intoArray(gX, gxOff + i);
        gh.mul(decay).intoArray(gV, gvOff + i);
      }
      if (i < n) {
        TAIL.lifBackward(gS, gsOff + i, h, hOff + i, s, sOff + i, gV, gvOff + i, gX, gxOff + i, n - i, invTau,
            threshold, hardReset, detachReset, surrogate, alpha);
      }
    }

    static void softmax(float[] logits, float[] out, int off, int n, float invT) {
      // n is small (the experts): a few vector steps per pass, scalar tails.
      int lb = S.loopBound(n);
      int i = 0;
      float max = Float.NEGATIVE_INFINITY;
      if (lb > 0) {
        FloatVector vmax = FloatVector.fromArray(S, logits, off);
        for (i = L; i < lb; i += L) {
          vmax = vmax.max(FloatVector.fromArray(S, logits, off + i));
        }
        max = vmax.reduceLanes(VectorOperators.MAX);
      }
      for (i = lb; i < n; i++) {
        max = Math.max(max, logits[off + i]);
      }
      // exp((l - max) * invT) into out, which may alias logits: each step reads before it writes.
      FloatVector vsum = FloatVector.zero(S);
      for (i = 0; i < lb; i += L) {
        FloatVector.fromArray(S, logits, off + i).sub(max).mul(invT).intoArray(out, off + i);
        exp(out, off + i);
        FloatVector e = FloatVector.fromArray(S, out, off + i);
        vsum = vsum.add(e);
      }
      // Fixed-order tree sum (rotate by L/2, L/4, ..., 1): reduceLanes(ADD) sums lanes in another
      // order in the interpreter than in C2, which would make results depend on the JIT tier.
      if (L >= 16) {
        vsum = vsum.add(vsum.rearrange(ROT8));
      }
      if (L >= 8) {
        vsum = vsum.add(vsum.rearrange(ROT4));
      }
      vsum = vsum.add(vsum.rearrange(ROT2));
      vsum = vsum.add(vsum.rearrange(ROT1));
      float sum = vsum.lane(0);
      for (i = lb; i < n; i++) {
        float e = Approx.exp((logits[off + i] - max) * invT);
        out[off + i] = e;
        sum += e;
      }
      float inv = 1f / sum;
      for (i = 0; i < lb; i += L) {
        FloatVector.fromArray(S, out, off + i).mul(inv).intoArray(out, off + i);
      }
      for (i = lb; i < n; i++) {
        out[off + i] *= inv;
      }
    }

    /** Lane indices as floats, to leave chosen lanes out of a selection. */
    static final FloatVector LANE = FloatVector.broadcast(S, 0f).addIndex(1);

    static void selectTopK(float[] probs, int off, float[] bias, int n, int k, float[] scores, int[] out,
        float[] outScores) {
      // One vector of scores (the usual expert count on 16 lanes): k rounds of the maximum of the
      // lanes not chosen yet and the first lane that holds it, without the scalar selection's
      // data-dependent branches. Any other count, and NaN scores, take the scalar selection.
      if (n != L || k > n) {
        TopK.selectByScore(probs, off, bias, n, k, scores, out, outScores);
        return;
      }
      FloatVector s = FloatVector.fromArray(S, probs, off);
      if (bias != null) {
        s = s.add(FloatVector.fromArray(S, bias, 0));
      }
      if (s.test(VectorOperators.IS_NAN).anyTrue()) {
        TopK.selectByScore(probs, off, bias, n, k, scores, out, outScores);
        return;
      }
      VectorMask<Float> left = S.maskAll(true);
      for (int j = 0; j < k; j++) {
        // The maximum as a value is the same whatever the order (Math.max: +0 over -0); the first
        // lane left equal to it, -0 and +0 being equal as the scalar comparison has them, is the
        // lowest index among the ties. A chosen lane is set to -Infinity, which changes no maximum
        // of the lanes left, and the mask keeps it from being chosen again when they are all -Infinity.
        float best = s.reduceLanes(VectorOperators.MAX);
        int i = s.compare(VectorOperators.EQ, best).and(left).firstTrue();
        out[j] = i;
        VectorMask<Float> chosen = LANE.compare(VectorOperators.EQ, (float) i);
        left = left.andNot(chosen);
        s = s.blend(Float.NEGATIVE_INFINITY, chosen);
      }
    }

    // tanh, exp and log1p are written out in each kernel rather than called (no helper may take a
    // vector, see hasFma()), as the exact operation sequences of Approx: the element-wise kernels
    // are then bit-identical to the scalar ones and the same in every JIT tier, which lanewise(EXP)
    // and lanewise(TANH) are not (Java fallback in the interpreter, SVML stub in C2).
    private static final float TANH_CLAMP = Approx.TANH_CLAMP;
    private static final float TANH_TINY = Approx.TANH_TINY;
    private static final float TA1 = Approx.TA1;
    private static final float TA3 = Approx.TA3;
    private static final float TA5 = Approx.TA5;
    private static final float TA7 = Approx.TA7;
    private static final float TA9 = Approx.TA9;
    private static final float TA11 = Approx.TA11;
    private static final float TA13 = Approx.TA13;
    private static final float TB0 = Approx.TB0;
    private static final float TB2 = Approx.TB2;
    private static final float TB4 = Approx.TB4;
    private static final float TB6 = Approx.TB6;
  }
}
