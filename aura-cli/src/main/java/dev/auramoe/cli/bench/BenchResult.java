package dev.auramoe.cli.bench;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link BenchRunner} measured, the targets and the reference figures.
 *
 * @param quick smoke run (too few samples to trust)
 * @param cpuModel CPU model
 * @param jvm JVM name, version and vendor
 * @param kernels kernels in use
 * @param fmaProbes the fp32 FMA probes before and after the measurements (GFLOP/s of one core, NaN when not
 *     measurable); the peak is the better of them
 * @param fmaLanes lanes of the measured species
 * @param fmaSpecies the species (or why there is no figure)
 * @param timerOverheadNanos median of back-to-back nanoTime pairs
 * @param routeP50Nanos route latency p50 (timer overhead included)
 * @param routeP90Nanos p90
 * @param routeP99Nanos p99
 * @param routeP999Nanos p99.9
 * @param routeMaxNanos max
 * @param routeMeanTimedNanos mean of the timed calls
 * @param latencySamples timed calls
 * @param routeMeanNanos mean route time of an untimed loop
 * @param learnMeanNanos mean learn time of an untimed loop
 * @param meanLoop calls in each untimed loop
 * @param batchTokens tokens per routeBatch call
 * @param batchReps timed routeBatch calls
 * @param batchTokensPerSecond best repetition
 * @param batchTokensPerSecondMedian median repetition
 * @param cellMacsPerToken CELL MACs per token from the meter (last routeBatch / tokens)
 * @param routerMacsPerToken ROUTER MACs per token from the meter
 * @param manyStreams streams of each routeMany call (of batchTokens tokens)
 * @param manyStreamTokensPerSecond best routeMany repetition
 * @param manyStreamTokensPerSecondMedian median routeMany repetition
 * @param manyStreamFlopsPerToken cell and router FLOPs per token of the last routeMany, from the meter
 * @param allocatedBytes bytes allocated by the thread around the allocation loop, -1 if unsupported
 * @param allocRoutes routes in the allocation loop
 * @param allocSettleRoutes routes run before it until a block of them allocated nothing (0: none, the full run)
 * @param allocStillAllocating the routes allocated up to the end of that warm-up (the figure then shows why)
 * @param wallSeconds the whole bench
 */
public record BenchResult(boolean quick, String cpuModel, String jvm, String kernels, BenchRunner.FmaProbes fmaProbes,
    int fmaLanes, String fmaSpecies, long timerOverheadNanos, long routeP50Nanos, long routeP90Nanos,
    long routeP99Nanos, long routeP999Nanos, long routeMaxNanos, double routeMeanTimedNanos, long latencySamples,
    double routeMeanNanos, double learnMeanNanos, int meanLoop, int batchTokens, int batchReps,
    double batchTokensPerSecond, double batchTokensPerSecondMedian, double cellMacsPerToken,
    double routerMacsPerToken, int manyStreams, double manyStreamTokensPerSecond,
    double manyStreamTokensPerSecondMedian, double manyStreamFlopsPerToken, long allocatedBytes, int allocRoutes, long allocSettleRoutes,
    boolean allocStillAllocating, double wallSeconds) {

  /** Target: single-token route p50 at most this many nanoseconds. */
  public static final long TARGET_ROUTE_P50_NANOS = 3000;
  /** Target: batched routing at least this fraction of the FMA peak. */
  public static final double TARGET_FRACTION_OF_PEAK = 0.5;
  /** Target: many-stream routing at least this fraction of the FMA peak. */
  public static final double TARGET_MANY_STREAM_FRACTION_OF_PEAK = 0.7;
  /** Target: a learn step at most this many times a route. */
  public static final double TARGET_LEARN_OVER_ROUTE = 3;

  /** The reference line printed beside the figures (not measured here). */
  public static final String REFERENCE =
      "PyTorch CPU: ~30 µs per liquid step + gate on one token, ~220,000 tokens/s batched";
  /** Reference single-token latency in nanoseconds. */
  public static final double REFERENCE_STEP_NANOS = 30_000;
  /** Reference batched throughput in tokens per second. */
  public static final double REFERENCE_BATCH_TOKENS_PER_SECOND = 220_000;

  /** The fp32 FMA peak of one core the fractions are taken against: the best probe of the run. */
  public double fmaPeakGflops() {
    return fmaProbes.best();
  }

  /** Single-token routes per second of the untimed loop. */
  public double routesPerSecond() {
    return 1e9 / routeMeanNanos;
  }

  /** Mean learn time over mean route time. */
  public double learnOverRoute() {
    return learnMeanNanos / routeMeanNanos;
  }

  /** FLOPs per token of cell and router, 2 per MAC. */
  public double flopsPerToken() {
    return 2 * (cellMacsPerToken + routerMacsPerToken);
  }

  /** Achieved cell + router FLOP/s of the best batch over the FMA peak; NaN without a peak. */
  public double fractionOfPeak() {
    return flopsPerToken() * batchTokensPerSecond / (fmaPeakGflops() * 1e9);
  }

  /** Achieved cell + router FLOP/s of the best many-stream call over the FMA peak; NaN without a peak. */
  public double manyStreamFractionOfPeak() {
    return manyStreamFlopsPerToken * manyStreamTokensPerSecond / (fmaPeakGflops() * 1e9);
  }

  /** As {@link #manyStreamFractionOfPeak()} for the median call. */
  public double manyStreamFractionOfPeakMedian() {
    return manyStreamFlopsPerToken * manyStreamTokensPerSecondMedian / (fmaPeakGflops() * 1e9);
  }

  /** Many-stream fraction-of-peak target (false when there is no peak). */
  public boolean manyStreamFractionOfPeakMet() {
    return manyStreamFractionOfPeak() >= TARGET_MANY_STREAM_FRACTION_OF_PEAK;
  }

  /** As {@link #fractionOfPeak()} for the median batch. */
  public double fractionOfPeakMedian() {
    return flopsPerToken() * batchTokensPerSecondMedian / (fmaPeakGflops() * 1e9);
  }

  /** As {@link #fractionOfPeak()} for single-token routing. */
  public double routeFractionOfPeak() {
    return flopsPerToken() * routesPerSecond() / (fmaPeakGflops() * 1e9);
  }

  /** Bytes allocated per route, NaN when the JVM cannot tell. */
  public double bytesPerRoute() {
    return allocatedBytes < 0 ? Double.NaN : allocatedBytes / (double) allocRoutes;
  }

  /** p50 route target. */
  public boolean routeP50Met() {
    return routeP50Nanos <= TARGET_ROUTE_P50_NANOS;
  }

  /** Fraction-of-peak target (false when there is no peak). */
  public boolean fractionOfPeakMet() {
    return fractionOfPeak() >= TARGET_FRACTION_OF_PEAK;
  }

  /** learn/route target. */
  public boolean learnOverRouteMet() {
    return learnOverRoute() <= TARGET_LEARN_OVER_ROUTE;
  }

  /** Zero-allocation target: no byte allocated in the whole loop. */
  public boolean bytesPerRouteMet() {
    return allocatedBytes == 0;
  }

  /** The JSON document of {@code aura bench --json}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("fmaPeakGflops", fmaPeakGflops());
    m.put("fmaPeakBeforeGflops", fmaProbes.before());
    m.put("fmaPeakAfterGflops", fmaProbes.after());
    m.put("fmaPeakMeasured", "best of " + fmaProbes.runs() + " runs before the measurements and "
        + fmaProbes.runs() + " runs after them");
    m.put("fmaLanes", fmaLanes);
    m.put("fmaSpecies", fmaSpecies);
    m.put("timerOverheadNanos", timerOverheadNanos);
    m.put("routeP50Nanos", routeP50Nanos);
    m.put("routeP90Nanos", routeP90Nanos);
    m.put("routeP99Nanos", routeP99Nanos);
    m.put("routeP999Nanos", routeP999Nanos);
    m.put("routeMaxNanos", routeMaxNanos);
    m.put("routeMeanTimedNanos", routeMeanTimedNanos);
    m.put("latencySamples", latencySamples);
    m.put("routesPerSecond", routesPerSecond());
    m.put("routeMeanNanos", routeMeanNanos);
    m.put("learnMeanNanos", learnMeanNanos);
    m.put("learnOverRoute", learnOverRoute());
    m.put("batchTokens", batchTokens);
    m.put("batchReps", batchReps);
    m.put("batchTokensPerSecond", batchTokensPerSecond);
    m.put("batchTokensPerSecondMedian", batchTokensPerSecondMedian);
    m.put("cellMacsPerToken", cellMacsPerToken);
    m.put("routerMacsPerToken", routerMacsPerToken);
    m.put("flopsPerToken", flopsPerToken());
    m.put("fractionOfPeak", fractionOfPeak());
    m.put("fractionOfPeakMedian", fractionOfPeakMedian());
    m.put("routeFractionOfPeak", routeFractionOfPeak());
    m.put("manyStreams", manyStreams);
    m.put("manyStreamTokensPerSecond", manyStreamTokensPerSecond);
    m.put("manyStreamTokensPerSecondMedian", manyStreamTokensPerSecondMedian);
    m.put("manyStreamFlopsPerToken", manyStreamFlopsPerToken);
    m.put("manyStreamFractionOfPeak", manyStreamFractionOfPeak());
    m.put("manyStreamFractionOfPeakMedian", manyStreamFractionOfPeakMedian());
    m.put("bytesPerRoute", bytesPerRoute());
    m.put("allocatedBytes", allocatedBytes);
    m.put("allocRoutes", allocRoutes);
    m.put("allocSettleRoutes", allocSettleRoutes);
    m.put("allocStillAllocating", allocStillAllocating);
    m.put("kernels", kernels);
    m.put("jvm", jvm);
    m.put("cpuModel", cpuModel);
    m.put("quick", quick);
    m.put("wallSeconds", wallSeconds);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("inputDim", BenchRunner.INPUT);
    model.put("hidden", 64);
    model.put("experts", BenchRunner.EXPERTS);
    model.put("expertKind", "nlms 384->1, mu 0.5");
    model.put("topK", 2);
    m.put("model", model);
    Map<String, Object> targets = new LinkedHashMap<>();
    targets.put("routeP50Nanos", target("<= " + TARGET_ROUTE_P50_NANOS, routeP50Met()));
    targets.put("fractionOfPeak", target(">= " + TARGET_FRACTION_OF_PEAK, fractionOfPeakMet()));
    targets.put("manyStreamFractionOfPeak", target(">= " + TARGET_MANY_STREAM_FRACTION_OF_PEAK,
        manyStreamFractionOfPeakMet()));
    targets.put("learnOverRoute", target("<= " + TARGET_LEARN_OVER_ROUTE, learnOverRouteMet()));
    targets.put("bytesPerRoute", target("= 0", bytesPerRouteMet()));
    m.put("targets", targets);
    Map<String, Object> ref = new LinkedHashMap<>();
    ref.put("line", REFERENCE);
    ref.put("measuredHere", false);
    ref.put("singleTokenSpeedup", REFERENCE_STEP_NANOS / routeP50Nanos);
    ref.put("batchSpeedup", batchTokensPerSecond / REFERENCE_BATCH_TOKENS_PER_SECOND);
    m.put("reference", ref);
    return m;
  }

  private static Map<String, Object> target(String t, boolean met) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", t);
    m.put("met", met);
    return m;
  }

  /** Writes the table. */
  public void print(PrintWriter out) {
    p(out, "aura bench%s: single-threaded, one model, %s%n", quick ? " --quick (smoke run: too few samples to trust)"
        : "", "384 inputs, liquid cell hidden 64, 16 NLMS experts (384->1), k=2, defaults");
    p(out, "CPU %s | %s | kernels %s%n%n", cpuModel, jvm, kernels);
    p(out, "%-26s %16s   %-10s %s%n", "figure", "value", "target", "status");
    row(out, "fmaPeakGflops", fmt(fmaPeakGflops(), "%.1f"), "", fmaLanes > 0
        ? "fp32 FMA, " + fmaLanes + " lanes, 12 accumulators; " + fmaProbes.describe() : fmaSpecies);
    row(out, "timerOverheadNanos", fmt(timerOverheadNanos), "", "median nanoTime pair; included in the latencies");
    row(out, "routeP50Nanos", fmt(routeP50Nanos), "<= " + TARGET_ROUTE_P50_NANOS, status(routeP50Met()));
    row(out, "routeP99Nanos", fmt(routeP99Nanos), "", String.format(Locale.ROOT, "p90 %,d, p99.9 %,d, max %,d",
        routeP90Nanos, routeP999Nanos, routeMaxNanos));
    row(out, "routesPerSecond", fmt(routesPerSecond(), "%,.0f"), "", String.format(Locale.ROOT,
        "untimed loop, mean %,.0f ns", routeMeanNanos));
    row(out, "batchTokensPerSecond", fmt(batchTokensPerSecond, "%,.0f"), "", String.format(Locale.ROOT,
        "best of %d x routeBatch(%d); median %,.0f", batchReps, batchTokens, batchTokensPerSecondMedian));
    row(out, "flopsPerToken", fmt(flopsPerToken(), "%,.0f"), "", String.format(Locale.ROOT,
        "2 x (cell %,.0f + router %,.0f MACs), from the energy meter", cellMacsPerToken, routerMacsPerToken));
    row(out, "fractionOfPeak", fmt(fractionOfPeak(), "%.3f"), ">= " + TARGET_FRACTION_OF_PEAK,
        status(fractionOfPeakMet()) + String.format(Locale.ROOT, " (median batch %.3f; single-token %.3f)",
            fractionOfPeakMedian(), routeFractionOfPeak()));
    row(out, "manyStreamTokensPerSecond", fmt(manyStreamTokensPerSecond, "%,.0f"), "", String.format(Locale.ROOT,
        "best of %d x routeMany(%d tokens of %d streams); median %,.0f", batchReps, batchTokens, manyStreams,
        manyStreamTokensPerSecondMedian));
    row(out, "manyStreamFractionOfPeak", fmt(manyStreamFractionOfPeak(), "%.3f"),
        ">= " + TARGET_MANY_STREAM_FRACTION_OF_PEAK, status(manyStreamFractionOfPeakMet()) + String.format(Locale.ROOT,
            " (median call %.3f; %,.0f FLOPs per token)", manyStreamFractionOfPeakMedian(), manyStreamFlopsPerToken));
    row(out, "learnOverRoute", fmt(learnOverRoute(), "%.2f"), "<= " + (int) TARGET_LEARN_OVER_ROUTE,
        status(learnOverRouteMet()) + String.format(Locale.ROOT, " (learn %,.0f ns / route %,.0f ns)", learnMeanNanos,
            routeMeanNanos));
    row(out, "bytesPerRoute", fmt(bytesPerRoute(), "%.4f"), "= 0", status(bytesPerRouteMet())
        + String.format(Locale.ROOT, " (%,d bytes over %,d routes%s)", allocatedBytes, allocRoutes,
            allocSettleRoutes == 0 ? "" : String.format(Locale.ROOT, allocStillAllocating
                ? "; route still allocated after %,d more warm-up routes" : "; after %,d more warm-up routes, "
                + "until a block of them allocated nothing", allocSettleRoutes)));
    p(out, "%nReference (not measured here): %s%n", REFERENCE);
    p(out, "  single token: p50 %,d ns vs ~30,000 ns -> %.1fx%n", routeP50Nanos, REFERENCE_STEP_NANOS / routeP50Nanos);
    p(out, "  batched:      %,.0f vs ~220,000 tokens/s -> %.1fx%n", batchTokensPerSecond,
        batchTokensPerSecond / REFERENCE_BATCH_TOKENS_PER_SECOND);
    p(out, "%nbench wall time %.1f s%n", wallSeconds);
    out.flush();
  }

  private static String status(boolean met) {
    return met ? "met" : "NOT MET";
  }

  private static String fmt(double v, String f) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, f, v);
  }

  private static String fmt(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }

  private static void row(PrintWriter out, String name, String value, String target, String status) {
    p(out, "%-26s %16s   %-10s %s%n", name, value, target, status);
  }

  private static void p(PrintWriter out, String f, Object... args) {
    out.print(String.format(Locale.ROOT, f, args));
  }
}
