package dev.auramoe.bench;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Scalar/Vector pairs for every kernel of {@link KernelSupport}.
 *
 * <p>{@code xxxScalar} runs {@link KernelProvider#scalar()} in a JVM without the incubator module
 * and with {@code -Daura.kernels=scalar}; {@code xxxVector} runs the Panama kernels in a JVM started
 * with {@code --add-modules=jdk.incubator.vector}. Both call the kernel through the same interface
 * so that the pair differs only in the implementation.
 *
 * <p>Every state checks, once per trial, the output of the implementation under test against a
 * plain double-precision reference and throws on a mismatch, so a fast wrong kernel cannot report
 * a number. gemm FLOP/s = 2 * tokens * rows * cols / (ns/op).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
    jvmArgsAppend = KernelBenchmark.SCALAR)
public class KernelBenchmark {

  // -Xms equal to -Xmx and AlwaysPreTouch: the whole heap is committed and faulted in before the
  // first iteration, so neither heap resizing nor first-touch page faults land in a measurement,
  // and every fork starts from the same memory layout (the gemm arrays are ~9 MB).
  static final String XMS = "-Xms1g";
  static final String XMX = "-Xmx1g";
  static final String PRETOUCH = "-XX:+AlwaysPreTouch";
  static final String VECTOR = "--add-modules=jdk.incubator.vector";
  static final String SCALAR = "-Daura.kernels=scalar";

  static final KernelSupport SCALAR_KERNELS = KernelProvider.scalar();

  /** The implementation a benchmark method measures, from its name. */
  static KernelSupport kernelsFor(BenchmarkParams params) {
    if (params.getBenchmark().endsWith("Vector")) {
      KernelSupport k = KernelProvider.panamaOrNull();
      if (k == null) {
        throw new IllegalStateException("Vector API kernels unavailable: run with " + VECTOR);
      }
      return k;
    }
    return SCALAR_KERNELS;
  }

  static float[] random(SplittableRandom r, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return a;
  }

  static void check(String what, float[] got, double[] ref, double[] scale) {
    for (int i = 0; i < ref.length; i++) {
      double tol = 1e-5 * scale[i] + 1e-6;
      if (!(Math.abs(got[i] - ref[i]) <= tol)) {
        throw new IllegalStateException(what + ": element " + i + " is " + got[i] + ", expected " + ref[i]);
      }
    }
  }

  static void check(String what, float got, double ref, double scale) {
    check(what, new float[] {got}, new double[] {ref}, new double[] {scale});
  }

  static double[] ones(int n, double v) {
    double[] d = new double[n];
    java.util.Arrays.fill(d, v);
    return d;
  }

  static double tanhNaNZero(float d) {
    return d != d ? 0 : Math.tanh(d);
  }

  // ------------------------------------------------------------------------------------ states

  /** Element-wise kernels and reductions. 64 = hidden size, 16 = experts; the rest are odd. */
  @State(Scope.Thread)
  public static class Vec {
    @Param({"13", "16", "64", "100", "1024"})
    public int n;

    KernelSupport k;
    float[] a;
    float[] b;
    float[] y;
    float[] src;
    float[] work;
    float[] h;
    float[] drive;
    float[] pre;
    float[] invTau;
    float dt = 0.1f;
    float bound = 4f;
    float delta = 0.5f;
    float tauMin = 0.5f;
    float tauMax = 8f;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
      k = kernelsFor(params);
      SplittableRandom r = new SplittableRandom(42);
      a = random(r, n, -1, 1);
      b = random(r, n, -1, 1);
      y = random(r, n, -1, 1);
      src = random(r, n, -3, 3);
      work = src.clone();
      h = random(r, n, -1, 1);
      drive = random(r, n, -4, 4);
      pre = random(r, n, -6, 6);
      invTau = new float[n];
      k.inverseTau(pre, 0, invTau, n, tauMin, tauMax);
      verify();
    }

    private void verify() {
      String name = k.name();
      double dot = 0;
      double dotScale = 0;
      double ss = 0;
      for (int i = 0; i < n; i++) {
        dot += (double) a[i] * b[i];
        dotScale += Math.abs((double) a[i] * b[i]);
        ss += (double) a[i] * a[i];
      }
      check(name + " dot", k.dot(a, 0, b, 0, n), dot, dotScale);
      check(name + " sumOfSquares", k.sumOfSquares(a, 0, n), ss, ss);

      float[] yy = y.clone();
      k.axpy(0.75f, a, 0, yy, 0, n);
      double[] ref = new double[n];
      for (int i = 0; i < n; i++) {
        ref[i] = y[i] + 0.75 * a[i];
      }
      check(name + " axpy", yy, ref, ones(n, 2));

      float[] t = src.clone();
      k.tanh(t, 0, n);
      for (int i = 0; i < n; i++) {
        ref[i] = Math.tanh(src[i]);
      }
      check(name + " tanh", t, ref, ones(n, 1));

      for (int i = 0; i < n; i++) {
        double sp = Math.max(pre[i], 0) + Math.log1p(Math.exp(-Math.abs((double) pre[i])));
        ref[i] = 1 / Math.min(Math.max(tauMin + sp, tauMin), tauMax);
      }
      check(name + " inverseTau", invTau, ref, ones(n, 1));

      float[] hh = h.clone();
      k.liquidEuler(hh, drive, invTau, dt, bound, n);
      for (int i = 0; i < n; i++) {
        ref[i] = h[i] + dt * (tanhNaNZero(drive[i]) - (double) h[i] * invTau[i]);
      }
      check(name + " liquidEuler", hh, ref, ones(n, 2));

      hh = h.clone();
      k.closedForm(hh, drive, invTau, delta, n);
      for (int i = 0; i < n; i++) {
        double g = Math.exp(-(double) delta * invTau[i]);
        ref[i] = g * h[i] + (1 - g) * tanhNaNZero(drive[i]) / invTau[i];
      }
      check(name + " closedForm", hh, ref, ones(n, 8));
    }
  }

  /** Softmax over the expert logits: 8-64 experts, plus odd counts. */
  @State(Scope.Thread)
  public static class Soft {
    @Param({"8", "13", "16", "64"})
    public int n;

    KernelSupport k;
    float[] logits;
    float[] out;
    float invT = 1.25f;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
      k = kernelsFor(params);
      logits = random(new SplittableRandom(7), n, -5, 5);
      out = new float[n];
      k.softmax(logits, out, n, invT);
      double max = Double.NEGATIVE_INFINITY;
      for (float l : logits) {
        max = Math.max(max, l);
      }
      double[] ref = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        ref[i] = Math.exp((logits[i] - max) * invT);
        sum += ref[i];
      }
      for (int i = 0; i < n; i++) {
        ref[i] /= sum;
      }
      check(k.name() + " softmax", out, ref, ones(n, 1));
    }
  }

  /** Matrix-vector shapes: the fused U|V|router projection (384 x (2*64+16)), 64x64, 64x16, odd. */
  @State(Scope.Thread)
  public static class Gemv {
    @Param({"384x144", "64x64", "64x16", "207x33"})
    public String shape;

    KernelSupport k;
    int rows;
    int cols;
    float[] w;
    float[] x;
    float[] y;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
      k = kernelsFor(params);
      String[] p = shape.split("x");
      rows = Integer.parseInt(p[0]);
      cols = Integer.parseInt(p[1]);
      SplittableRandom r = new SplittableRandom(11);
      w = random(r, rows * cols, -1, 1);
      x = random(r, rows, -1, 1);
      y = new float[cols];
      k.gemv(w, rows, cols, x, 0, y, 0, false);
      double[] ref = new double[cols];
      double[] scale = new double[cols];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          double m = (double) x[i] * w[i * cols + j];
          ref[j] += m;
          scale[j] += Math.abs(m);
        }
      }
      check(k.name() + " gemv " + shape, y, ref, scale);
    }
  }

  /** Batched projection: tokens x rows x cols. 4096x384x144 is the real batch; 17x207x33 is odd. */
  @State(Scope.Thread)
  public static class Gemm {
    @Param({"4096x384x144", "17x207x33"})
    public String shape;

    KernelSupport k;
    int tokens;
    int rows;
    int cols;
    float[] w;
    float[] x;
    float[] y;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
      k = kernelsFor(params);
      String[] p = shape.split("x");
      tokens = Integer.parseInt(p[0]);
      rows = Integer.parseInt(p[1]);
      cols = Integer.parseInt(p[2]);
      SplittableRandom r = new SplittableRandom(13);
      w = random(r, rows * cols, -1, 1);
      x = random(r, tokens * rows, -1, 1);
      y = new float[tokens * cols];
      k.gemm(x, tokens, w, rows, cols, y);
      // Spot-check a spread of tokens (a full double reference of the big shape takes seconds).
      int step = Math.max(1, tokens / 37);
      for (int t = 0; t < tokens; t += step) {
        double[] ref = new double[cols];
        double[] scale = new double[cols];
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            double m = (double) x[t * rows + i] * w[i * cols + j];
            ref[j] += m;
            scale[j] += Math.abs(m);
          }
        }
        float[] got = java.util.Arrays.copyOfRange(y, t * cols, (t + 1) * cols);
        check(k.name() + " gemm " + shape + " token " + t, got, ref, scale);
      }
    }
  }

  // ------------------------------------------------------------------------------------ pairs

  @Benchmark
  public float dotScalar(Vec s) {
    return s.k.dot(s.a, 0, s.b, 0, s.n);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public float dotVector(Vec s) {
    return s.k.dot(s.a, 0, s.b, 0, s.n);
  }

  @Benchmark
  public float sumOfSquaresScalar(Vec s) {
    return s.k.sumOfSquares(s.a, 0, s.n);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public float sumOfSquaresVector(Vec s) {
    return s.k.sumOfSquares(s.a, 0, s.n);
  }

  @Benchmark
  public void axpyScalar(Vec s, Blackhole bh) {
    s.k.axpy(1e-3f, s.a, 0, s.y, 0, s.n);
    bh.consume(s.y);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void axpyVector(Vec s, Blackhole bh) {
    s.k.axpy(1e-3f, s.a, 0, s.y, 0, s.n);
    bh.consume(s.y);
  }

  // tanh works in place: each call restores the input first (same copy cost in both halves of
  // the pair), otherwise repeated calls would shrink the values towards 0 and a fast path.
  @Benchmark
  public void tanhScalar(Vec s, Blackhole bh) {
    System.arraycopy(s.src, 0, s.work, 0, s.n);
    s.k.tanh(s.work, 0, s.n);
    bh.consume(s.work);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void tanhVector(Vec s, Blackhole bh) {
    System.arraycopy(s.src, 0, s.work, 0, s.n);
    s.k.tanh(s.work, 0, s.n);
    bh.consume(s.work);
  }

  @Benchmark
  public void inverseTauScalar(Vec s, Blackhole bh) {
    s.k.inverseTau(s.pre, 0, s.invTau, s.n, s.tauMin, s.tauMax);
    bh.consume(s.invTau);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void inverseTauVector(Vec s, Blackhole bh) {
    s.k.inverseTau(s.pre, 0, s.invTau, s.n, s.tauMin, s.tauMax);
    bh.consume(s.invTau);
  }

  // h evolves across calls but stays bounded (|h| <= max(|h0|, bound, tau)).
  @Benchmark
  public void liquidEulerScalar(Vec s, Blackhole bh) {
    s.k.liquidEuler(s.h, s.drive, s.invTau, s.dt, s.bound, s.n);
    bh.consume(s.h);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void liquidEulerVector(Vec s, Blackhole bh) {
    s.k.liquidEuler(s.h, s.drive, s.invTau, s.dt, s.bound, s.n);
    bh.consume(s.h);
  }

  @Benchmark
  public void closedFormScalar(Vec s, Blackhole bh) {
    s.k.closedForm(s.h, s.drive, s.invTau, s.delta, s.n);
    bh.consume(s.h);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void closedFormVector(Vec s, Blackhole bh) {
    s.k.closedForm(s.h, s.drive, s.invTau, s.delta, s.n);
    bh.consume(s.h);
  }

  @Benchmark
  public void softmaxScalar(Soft s, Blackhole bh) {
    s.k.softmax(s.logits, s.out, s.n, s.invT);
    bh.consume(s.out);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void softmaxVector(Soft s, Blackhole bh) {
    s.k.softmax(s.logits, s.out, s.n, s.invT);
    bh.consume(s.out);
  }

  @Benchmark
  public void gemvScalar(Gemv s, Blackhole bh) {
    s.k.gemv(s.w, s.rows, s.cols, s.x, 0, s.y, 0, false);
    bh.consume(s.y);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void gemvVector(Gemv s, Blackhole bh) {
    s.k.gemv(s.w, s.rows, s.cols, s.x, 0, s.y, 0, false);
    bh.consume(s.y);
  }

  @Benchmark
  public void gemmScalar(Gemm s, Blackhole bh) {
    s.k.gemm(s.x, s.tokens, s.w, s.rows, s.cols, s.y);
    bh.consume(s.y);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = VECTOR, jvmArgs = {XMS, XMX, PRETOUCH})
  public void gemmVector(Gemm s, Blackhole bh) {
    s.k.gemm(s.x, s.tokens, s.w, s.rows, s.cols, s.y);
    bh.consume(s.y);
  }
}
