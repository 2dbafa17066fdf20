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

  private static BenchResult result(long allocated, long settle, boolean still) {
    return new BenchResult(true, "cpu", "jvm", "scalar", 10, 8, "species", 20, 2_000, 2_500, 3_000, 4_000, 5_000,
        2_100, 5_000, 2_000, 4_000, 5_000, 4096, 3, 400_000, 390_000, 1_000, 100, 256, 600_000, 500_000, 2_200, allocated, 10_000, settle, still,
        3.0);
  }
}
