package dev.auramoe.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the fp32 fused-multiply-add peak of the current core with the Vector API: a
 * register-resident loop over {@value #ACCUMULATORS} independent {@link FloatVector} accumulators of
 * {@link FloatVector#SPECIES_PREFERRED}, each doing {@code a = a.fma(b, c)} once per iteration.
 *
 * <pre>
 * FLOPs   = 2 * lanes * ACCUMULATORS * iterations        (one FMA = one multiply + one add per lane)
 * GFLOP/s = FLOPs / seconds / 1e9,   best of several runs after a warm-up run
 * </pre>
 *
 * Twelve independent chains hide the FMA latency (4 cycles on current x86 and ARM cores) on two FMA
 * ports; the accumulators converge to the fixed point {@code c / (1 - b)}, so no value overflows or
 * turns denormal. The result is a ceiling for arithmetic in registers only: no loads or stores.
 *
 * <p>Used by {@code aura bench} (loaded by name, so the CLI still runs without the incubator
 * module) and runnable on its own: {@code java --add-modules jdk.incubator.vector -cp ...
 * dev.auramoe.simd.FmaPeak}.
 */
public final class FmaPeak {

  /** Independent accumulators in the loop. */
  public static final int ACCUMULATORS = 12;

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Keeps the loop's result alive. */
  private static volatile float sink;

  private FmaPeak() {}

  /** Lanes of the preferred float species (16 with AVX-512, 8 with AVX2, 4 with NEON). */
  public static int lanes() {
    return S.length();
  }

  /** The species measured, for reports (for example {@code Species[float, 16, S_512_BIT]}). */
  public static String species() {
    return S.toString();
  }

  /**
   * Best GFLOP/s over {@code runs} timed runs of {@code iterations} loop iterations each, after one
   * untimed warm-up run of the same length.
   *
   * @param runs timed runs, &gt; 0
   * @param iterations loop iterations per run, &gt; 0 (each does {@value #ACCUMULATORS} vector FMAs)
   */
  public static double gflops(int runs, long iterations) {
    if (runs <= 0 || iterations <= 0) {
      throw new IllegalArgumentException("runs and iterations must be > 0, got " + runs + ", " + iterations);
    }
    loop(iterations, 0.999f, 1e-3f);
    double best = 0;
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      loop(iterations, 0.999f, 1e-3f);
      long ns = System.nanoTime() - t0;
      double flops = 2.0 * S.length() * ACCUMULATORS * (double) iterations;
      best = Math.max(best, flops / ns);
    }
    return best;
  }

  /** The default measurement: best of 5 runs of 40 million iterations (about a second in all on AVX-512). */
  public static double gflops() {
    return gflops(5, 40_000_000L);
  }

  private static void loop(long iterations, float bv, float cv) {
    FloatVector b = FloatVector.broadcast(S, bv);
    FloatVector c = FloatVector.broadcast(S, cv);
    FloatVector a0 = FloatVector.broadcast(S, 0.0f);
    FloatVector a1 = FloatVector.broadcast(S, 0.1f);
    FloatVector a2 = FloatVector.broadcast(S, 0.2f);
    FloatVector a3 = FloatVector.broadcast(S, 0.3f);
    FloatVector a4 = FloatVector.broadcast(S, 0.4f);
    FloatVector a5 = FloatVector.broadcast(S, 0.5f);
    FloatVector a6 = FloatVector.broadcast(S, 0.6f);
    FloatVector a7 = FloatVector.broadcast(S, 0.7f);
    FloatVector a8 = FloatVector.broadcast(S, 0.8f);
    FloatVector a9 = FloatVector.broadcast(S, 0.9f);
    FloatVector a10 = FloatVector.broadcast(S, 1.0f);
    FloatVector a11 = FloatVector.broadcast(S, 1.1f);
    // An int inner loop keeps the loop counted for C2 whatever the total length.
    long done = 0;
    while (done < iterations) {
      int n = (int) Math.min(1 << 20, iterations - done);
      for (int i = 0; i < n; i++) {
        a0 = a0.fma(b, c);
        a1 = a1.fma(b, c);
        a2 = a2.fma(b, c);
        a3 = a3.fma(b, c);
        a4 = a4.fma(b, c);
        a5 = a5.fma(b, c);
        a6 = a6.fma(b, c);
        a7 = a7.fma(b, c);
        a8 = a8.fma(b, c);
        a9 = a9.fma(b, c);
        a10 = a10.fma(b, c);
        a11 = a11.fma(b, c);
      }
      done += n;
    }
    FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
    sink = s.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }

  /** Prints the measured peak: {@code GFLOP/s lanes species}. */
  public static void main(String[] args) {
    double g = gflops();
    System.out.printf(java.util.Locale.ROOT, "%.1f GFLOP/s fp32 FMA peak, one core, %d lanes (%s)%n", g, lanes(),
        species());
  }
}
