package dev.auramoe.cli.bench;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.HdrHistogram.Histogram;

/**
 * The single-threaded measurements of {@code aura bench}, on one model: 384 inputs, 16 NLMS experts
 * (384 -> 1, mu 0.5), the default liquid cell (hidden 64), k = 2, everything else default.
 *
 * <pre>
 * fmaPeakGflops        FmaPeak: register-resident FMA loops (aura-simd; NaN without it), the best of
 *                      fmaRuns runs before the measurements and fmaRuns after them. Other processes on
 *                      the core slow a probe (by up to 2.5x on a loaded 2-core VM) and never speed one
 *                      up, so the best probe is the nearest to the core's own peak, and the ratios
 *                      below are taken against it rather than against a probe that load happened to
 *                      slow. No probe runs between the timed calls: a routeMany call right after a
 *                      probe measured 7-12% slower (the FMA loop's effect outlasts it)
 * timerOverheadNanos   median of back-to-back System.nanoTime() pairs
 * routeP50/P99Nanos    each warmed-up route(stream, x, buf) timed with nanoTime into an HdrHistogram
 *                      (the timer overhead is included, not subtracted)
 * routesPerSecond      an untimed loop of single-token routes: count / elapsed
 * learnOverRoute       mean learn(stream, x, y, yHat) time / mean route time (untimed loops)
 * batchTokensPerSecond routeBatch over 4096 tokens, best (and median) of several repetitions
 * fractionOfPeak       2 * (CELL + ROUTER MACs per token, from lastCallEnergy()) * tokens/s / (peak * 1e9)
 * manyStreamTokens...  routeMany over 4096 tokens of 256 streams (each stream's inputs in turn), best (and
 *                      median) of as many repetitions as the batch
 * manyStreamFraction.. the same FLOPs (from that call's lastCallEnergy()) * its tokens/s / (peak * 1e9)
 * bytesPerRoute        ThreadMXBean allocated bytes around warmed-up routes / count; --quick first runs
 *                      loops as long until one allocates nothing (see Settings#allocSettleLimit)
 * </pre>
 *
 * Inputs are N(0, 1), 4096 distinct vectors used round-robin; learn targets are a fixed random
 * linear function of them.
 */
public final class BenchRunner {

  /** Input dimension of the bench model. */
  public static final int INPUT = 384;
  /** Experts of the bench model. */
  public static final int EXPERTS = 16;
  /** Tokens per routeBatch call, and per routeMany call. */
  public static final int BATCH = 4096;
  /** Streams of a routeMany call: each comes BATCH / MANY_STREAMS times. */
  public static final int MANY_STREAMS = 256;

  private BenchRunner() {}

  /**
   * Sizes of each measurement.
   *
   * @param quick true for the short smoke run
   * @param allocSettleLimit most routes run before the allocation loop, in blocks as long as it,
   *     until a block allocates nothing; 0 for none. Until C2 has compiled route, its Vector API
   *     operations allocate their boxes: the quick run's other loops are too short to get there on
   *     a busy machine (its loop measured up to 5,000 bytes per route), the full run's are long
   *     enough. Blocks as long as the loop, because a one-off 160 bytes was also seen after a first
   *     allocation-free block of 1,000 routes.
   */
  public record Settings(boolean quick, int fmaRuns, long fmaIterations, int warmup, int latencySamples,
      int meanLoop, int batchWarmup, int batchReps, int allocRoutes, int allocSettleLimit) {

    /** The full run (about a minute on a 2-core machine). */
    public static final Settings FULL = new Settings(false, 5, 40_000_000L, 200_000, 300_000, 200_000, 5, 40, 100_000,
        0);

    /** The smoke run (a few seconds): every figure, too few samples to trust, but an honest bytesPerRoute. */
    public static final Settings QUICK = new Settings(true, 2, 2_000_000L, 5_000, 5_000, 5_000, 1, 3, 10_000,
        500_000);
  }

  /** Builds the bench model. */
  public static MixtureOfExperts model() {
    return MixtureOfExperts.builder(INPUT, 1).experts(Experts.nlms("e", EXPERTS, INPUT, 1, 0.5)).build();
  }

  /**
   * Runs every measurement.
   *
   * @param log receives one line per stage (for stderr)
   */
  public static BenchResult run(Settings s, Consumer<String> log) {
    long wall0 = System.nanoTime();
    String stream = MixtureOfExperts.DEFAULT_STREAM;

    log.accept("bench: fp32 FMA peak (" + s.fmaRuns() + " runs)");
    FmaPeakProbe.Peak peak = FmaPeakProbe.measure(s.fmaRuns(), s.fmaIterations());
    double peakBefore = peak.gflops();

    MixtureOfExperts moe = model();
    Random rnd = new Random(7);
    float[][] xs = new float[BATCH][INPUT];
    float[] flat = new float[BATCH * INPUT];
    float[][] ys = new float[BATCH][1];
    float[] a = new float[INPUT];
    for (int i = 0; i < INPUT; i++) {
      a[i] = (float) (rnd.nextGaussian() / Math.sqrt(INPUT));
    }
    for (int t = 0; t < BATCH; t++) {
      double y = 0;
      for (int i = 0; i < INPUT; i++) {
        float v = (float) rnd.nextGaussian();
        xs[t][i] = v;
        flat[t * INPUT + i] = v;
        y += a[i] * v;
      }
      ys[t][0] = (float) y;
    }
    int mask = BATCH - 1;
    RouteBuffer buf = moe.newRouteBuffer();
    float[] yHat = new float[1];

    log.accept("bench: warm-up (" + s.warmup() + " routes and learns)");
    for (int i = 0; i < s.warmup(); i++) {
      moe.route(stream, xs[i & mask], buf);
    }
    for (int i = 0; i < s.warmup(); i++) {
      moe.learn(stream, xs[i & mask], ys[i & mask], yHat);
    }
    for (int i = 0; i < s.warmup(); i++) {
      moe.route(stream, xs[i & mask], buf);
    }

    log.accept("bench: timer overhead");
    Histogram timer = new Histogram(1, 60_000_000_000L, 3);
    for (int i = 0; i < Math.max(s.latencySamples(), 100_000); i++) {
      long t0 = System.nanoTime();
      long t1 = System.nanoTime();
      timer.recordValue(t1 - t0);
    }

    log.accept("bench: single-token route latency (" + s.latencySamples() + " timed calls)");
    Histogram lat = new Histogram(1, 60_000_000_000L, 3);
    for (int i = 0; i < s.latencySamples(); i++) {
      float[] x = xs[i & mask];
      long t0 = System.nanoTime();
      moe.route(stream, x, buf);
      long t1 = System.nanoTime();
      lat.recordValue(t1 - t0);
    }

    log.accept("bench: mean route and learn time (" + s.meanLoop() + " calls each)");
    long t0 = System.nanoTime();
    for (int i = 0; i < s.meanLoop(); i++) {
      moe.route(stream, xs[i & mask], buf);
    }
    double routeMean = (System.nanoTime() - t0) / (double) s.meanLoop();
    t0 = System.nanoTime();
    for (int i = 0; i < s.meanLoop(); i++) {
      moe.learn(stream, xs[i & mask], ys[i & mask], yHat);
    }
    double learnMean = (System.nanoTime() - t0) / (double) s.meanLoop();

    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    boolean measurable = mx.isThreadAllocatedMemorySupported();
    Settled settled = new Settled(0, true);
    if (measurable && s.allocSettleLimit() > 0) {
      log.accept("bench: blocks of " + s.allocRoutes() + " routes until one allocates nothing (at most "
          + s.allocSettleLimit() + " routes)");
      settled = settleAllocation(i -> moe.route(stream, xs[i & mask], buf), s.allocRoutes(), s.allocSettleLimit());
    }
    log.accept("bench: allocation per route (" + s.allocRoutes() + " routes)");
    long allocated = -1;
    if (measurable) {
      if (!mx.isThreadAllocatedMemoryEnabled()) {
        mx.setThreadAllocatedMemoryEnabled(true);
      }
      long b0 = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < s.allocRoutes(); i++) {
        moe.route(stream, xs[i & mask], buf);
      }
      allocated = mx.getCurrentThreadAllocatedBytes() - b0;
    }

    log.accept("bench: routeBatch over " + BATCH + " tokens (" + s.batchReps() + " repetitions)");
    int[] expertsOut = new int[BATCH * moe.topK()];
    float[] weightsOut = new float[BATCH * moe.topK()];
    for (int i = 0; i < s.batchWarmup(); i++) {
      moe.routeBatch(stream, flat, BATCH, expertsOut, weightsOut);
    }
    double[] batchTps = new double[s.batchReps()];
    for (int i = 0; i < s.batchReps(); i++) {
      long b0 = System.nanoTime();
      moe.routeBatch(stream, flat, BATCH, expertsOut, weightsOut);
      batchTps[i] = BATCH / ((System.nanoTime() - b0) / 1e9);
    }
    EnergyReport e = moe.lastCallEnergy();
    double cellMacs = e.macs(Component.CELL) / (double) BATCH;
    double routerMacs = e.macs(Component.ROUTER) / (double) BATCH;
    Arrays.sort(batchTps);

    log.accept("bench: routeMany over " + BATCH + " tokens of " + MANY_STREAMS + " streams (" + s.batchReps()
        + " repetitions)");
    String[] streams = new String[BATCH];
    for (int i = 0; i < MANY_STREAMS; i++) {
      moe.openStream("many-" + i);
    }
    for (int t = 0; t < BATCH; t++) {
      streams[t] = "many-" + (t % MANY_STREAMS);
    }
    for (int i = 0; i < s.batchWarmup(); i++) {
      moe.routeMany(streams, flat, BATCH, expertsOut, weightsOut);
    }
    double[] manyTps = new double[s.batchReps()];
    for (int i = 0; i < s.batchReps(); i++) {
      long b0 = System.nanoTime();
      moe.routeMany(streams, flat, BATCH, expertsOut, weightsOut);
      manyTps[i] = BATCH / ((System.nanoTime() - b0) / 1e9);
    }
    EnergyReport em = moe.lastCallEnergy();
    double manyFlops = 2 * (em.macs(Component.CELL) + em.macs(Component.ROUTER)) / (double) BATCH;
    Arrays.sort(manyTps);

    log.accept("bench: fp32 FMA peak again (" + s.fmaRuns() + " runs)");
    double peakAfter = FmaPeakProbe.measure(s.fmaRuns(), s.fmaIterations()).gflops();
    FmaProbes probes = new FmaProbes(peakBefore, peakAfter, s.fmaRuns());

    return new BenchResult(s.quick(), SystemInfo.cpuModel(), SystemInfo.jvm(), moe.kernels(), probes,
        peak.lanes(), peak.species(), timer.getValueAtPercentile(50), lat.getValueAtPercentile(50),
        lat.getValueAtPercentile(90), lat.getValueAtPercentile(99), lat.getValueAtPercentile(99.9), lat.getMaxValue(),
        lat.getMean(), lat.getTotalCount(), routeMean, learnMean, s.meanLoop(), BATCH, s.batchReps(),
        batchTps[batchTps.length - 1], batchTps[batchTps.length / 2], cellMacs, routerMacs, MANY_STREAMS,
        manyTps[manyTps.length - 1], manyTps[manyTps.length / 2], manyFlops,
        allocated, s.allocRoutes(), settled.calls(), !settled.allocationFree(), (System.nanoTime() - wall0) / 1e9);
  }

  /** The larger of two probes; NaN only when both are (no Vector API). */
  static double best(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
  }

  /**
   * The FMA probes of one run, in GFLOP/s (NaN without the Vector API).
   *
   * @param before best of {@code runs} runs before the measurements
   * @param after best of {@code runs} runs after the measurements
   * @param runs runs of each probe
   */
  public record FmaProbes(double before, double after, int runs) {

    /** The peak the fractions are taken against: the better probe of the run. */
    public double best() {
      return BenchRunner.best(before, after);
    }

    /** How the peak was measured, for the table. */
    public String describe() {
      return String.format(java.util.Locale.ROOT, "best of %d runs before the measurements (%.1f) and %d after (%.1f)",
          runs, before, runs, after);
    }
  }

  /**
   * What {@link #settleAllocation} did.
   *
   * @param calls the calls it made
   * @param allocationFree whether its last block allocated nothing (false: it stopped at its limit)
   */
  public record Settled(long calls, boolean allocationFree) {}

  /**
   * Calls {@code op} with 0, 1, 2, ... in blocks of {@code block} calls until a whole block
   * allocates no byte on this thread (the JIT has compiled it), or {@code limit} calls have run.
   *
   * @return the calls made (a multiple of {@code block}, at most {@code limit} rounded up to one)
   *     and whether the last block allocated nothing
   * @throws UnsupportedOperationException when this JVM cannot tell a thread's allocation
   */
  public static Settled settleAllocation(IntConsumer op, int block, long limit) {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    if (!mx.isThreadAllocatedMemorySupported()) {
      throw new UnsupportedOperationException("this JVM does not measure a thread's allocation");
    }
    if (!mx.isThreadAllocatedMemoryEnabled()) {
      mx.setThreadAllocatedMemoryEnabled(true);
    }
    long calls = 0;
    while (calls < limit) {
      long b0 = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < block; i++) {
        op.accept((int) (calls + i));
      }
      calls += block;
      if (mx.getCurrentThreadAllocatedBytes() == b0) {
        return new Settled(calls, true);
      }
    }
    return new Settled(calls, false);
  }
}
