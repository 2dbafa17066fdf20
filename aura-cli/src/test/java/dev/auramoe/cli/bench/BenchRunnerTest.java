package dev.auramoe.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The quick bench's allocation figure comes after a warm-up that lasts until route stops
 * allocating (its JIT-compiled form), not after a fixed count too short on a busy machine.
 */
class BenchRunnerTest {

  /** Where the allocations below go, so that escape analysis cannot remove them. */
  static volatile Object sink;

  @Test
  void theWarmUpLastsUntilABlockAllocatesNothing() {
    int[] calls = {0};
    BenchRunner.Settled s = BenchRunner.settleAllocation(i -> {
      if (calls[0]++ < 2_500) {
        sink = new byte[64]; // as route does until C2 has compiled its Vector API operations
      }
    }, 1_000, 100_000);
    assertThat(s.allocationFree()).isTrue();
    assertThat(s.calls()).as("the blocks that allocated, then one that did not").isEqualTo(4_000);
    assertThat(calls[0]).isEqualTo(4_000);
  }

  @Test
  void aRouteThatAlwaysAllocatesStopsTheWarmUpAtItsLimitAndSaysSo() {
    BenchRunner.Settled s = BenchRunner.settleAllocation(i -> sink = new byte[64], 1_000, 5_000);
    assertThat(s.allocationFree()).isFalse();
    assertThat(s.calls()).isEqualTo(5_000);
  }

  @Test
  void onlyTheQuickRunWarmsUpLongerTheFullRunMeasuresAsBefore() {
    assertThat(BenchRunner.Settings.QUICK.allocSettleLimit()).isGreaterThanOrEqualTo(100_000);
    assertThat(BenchRunner.Settings.FULL.allocSettleLimit()).isZero();
  }

  @Test
  void theTableSaysHowLongTheWarmUpLastedAndWhetherRouteStillAllocated() {
    java.io.StringWriter text = new java.io.StringWriter();
    result(0, 3_000, false).print(new java.io.PrintWriter(text));
    assertThat(text.toString()).contains("met (0 bytes over 10,000 routes; after 3,000 more warm-up routes, until a "
        + "block of them allocated nothing)");
    text = new java.io.StringWriter();
    result(480, 500_000, true).print(new java.io.PrintWriter(text));
    assertThat(text.toString()).contains("NOT MET (480 bytes over 10,000 routes; route still allocated after "
        + "500,000 more warm-up routes)");
    assertThat(result(0, 3_000, false).toJson()).containsEntry("allocSettleRoutes", 3_000L)
        .containsEntry("allocStillAllocating", false);
  }

  @Test
  void theFractionsOfPeakAreTakenAgainstTheBetterProbeBeforeOrAfterTheMeasurements() {
    BenchRunner.FmaProbes slowedAtTheStart = new BenchRunner.FmaProbes(80, 200, 5);
    assertThat(slowedAtTheStart.best()).isEqualTo(200);
    assertThat(new BenchRunner.FmaProbes(210, 90, 5).best()).isEqualTo(210);
    assertThat(new BenchRunner.FmaProbes(Double.NaN, Double.NaN, 5).best()).isNaN();
    BenchResult r = new BenchResult(false, "cpu", "jvm", "panama-512", slowedAtTheStart, 16, "species", 20, 2_000,
        2_500, 3_000, 4_000, 5_000, 2_100, 5_000, 2_000, 4_000, 5_000, 4096, 40, 400_000, 390_000, 50_000, 10_000, 256,
        1_000_000, 900_000, 120_000, 0, 10_000, 0, false, 3.0);
    // 120,000 FLOPs per token at a million tokens per second: 120 GFLOP/s of the better probe's 200.
    assertThat(r.manyStreamFractionOfPeak()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(r.toJson()).containsEntry("fmaPeakGflops", 200.0).containsEntry("fmaPeakBeforeGflops", 80.0)
        .containsEntry("fmaPeakAfterGflops", 200.0)
        .containsEntry("fmaPeakMeasured", "best of 5 runs before the measurements and 5 runs after them");
    java.io.StringWriter text = new java.io.StringWriter();
    r.print(new java.io.PrintWriter(text));
    assertThat(text.toString()).contains("best of 5 runs before the measurements (80.0) and 5 after (200.0)");
  }

  private static BenchResult result(long allocated, long settle, boolean still) {
    return new BenchResult(true, "cpu", "jvm", "scalar", new BenchRunner.FmaProbes(10, 8, 2), 8, "species", 20, 2_000, 2_500, 3_000, 4_000, 5_000,
        2_100, 5_000, 2_000, 4_000, 5_000, 4096, 3, 400_000, 390_000, 1_000, 100, 256, 600_000, 500_000, 2_200, allocated, 10_000, settle, still,
        3.0);
  }
}
