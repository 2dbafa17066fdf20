package dev.auramoe.stream.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

/** The harness on hand-made detection sequences: delays, misses, repeats and false alarms. */
class DriftEvaluationTest {

  /** Fires at fixed instance indices, whatever the values. */
  private static final class Scripted implements DriftDetector {
    private final long[] fireAt;
    private long seen;
    private long detections;

    Scripted(long... fireAt) {
      this.fireAt = fireAt;
    }

    @Override
    public boolean update(double value) {
      boolean fire = Arrays.binarySearch(fireAt, seen++) >= 0;
      detections += fire ? 1 : 0;
      return fire;
    }

    @Override
    public void reset() {
      seen = 0;
      detections = 0;
    }

    @Override
    public long detections() {
      return detections;
    }

    @Override
    public String name() {
      return "scripted";
    }
  }

  private static final long[] DRIFTS = {1_000, 5_000, 8_000};

  @Test
  void delaysMissesRepeatsAndFalseAlarmsAreCountedByTheAttributionRule() {
    // 200: before the first drift. 1100: drift 1000 after 100. 1300: a repeat in its window.
    // 1600: past its 500-instance window. 5000: drift 5000 at once. 8600: 600 > 500 after drift 8000.
    Scripted detector = new Scripted(200, 1_100, 1_300, 1_600, 5_000, 8_600);
    DriftReport report = DriftEvaluation.evaluate(detector, new double[10_000], DRIFTS, 500);
    assertThat(report.detector()).isEqualTo("scripted");
    assertThat(report.instances()).isEqualTo(10_000);
    assertThat(report.drifts()).isEqualTo(3);
    assertThat(report.delays()).containsExactly(100L, 0L, -1L);
    assertThat(report.detected()).isEqualTo(2);
    assertThat(report.missed()).isEqualTo(1);
    assertThat(report.repeats()).isEqualTo(1);
    assertThat(report.falseAlarms()).isEqualTo(3);
    assertThat(report.falseAlarmsPer100k()).isCloseTo(30.0, within(1e-12));
    assertThat(report.meanDelay()).isCloseTo(50.0, within(1e-12));
    assertThat(report.maxDetectedDelay()).isEqualTo(100);
    assertThat(detector.detections()).isEqualTo(6);
  }

  @Test
  void theDelayWindowIncludesMaxDelayAndEndsAtTheNextDriftPoint() {
    // 1500 = 1000 + maxDelay counts; 5501 is one past the window of drift 5000; 7999 belongs to
    // drift 5000 only if within maxDelay (it is not with 500); 8000 is drift 8000's own instance.
    DriftReport report = DriftEvaluation.evaluate(new Scripted(1_500, 5_501, 7_999, 8_000), new double[9_000],
        DRIFTS, 500);
    assertThat(report.delays()).containsExactly(500L, -1L, 0L);
    assertThat(report.falseAlarms()).isEqualTo(2);
    assertThat(report.repeats()).isZero();
    // With a long maxDelay, 7999 is drift 5000's (delay 2999) but 8000 still opens drift 8000.
    report = DriftEvaluation.evaluate(new Scripted(7_999, 8_000), new double[9_000], DRIFTS, 5_000);
    assertThat(report.delays()).containsExactly(-1L, 2_999L, 0L);
    assertThat(report.falseAlarms()).isZero();
    assertThat(report.meanDelay()).isCloseTo(1_499.5, within(1e-12));
    assertThat(report.maxDetectedDelay()).isEqualTo(2_999);
  }

  @Test
  void withoutDriftPointsEveryDetectionIsAFalseAlarm() {
    DriftReport report = DriftEvaluation.evaluate(new Scripted(0, 10, 49_999), new double[50_000], new long[0]);
    assertThat(report.maxDelay()).isEqualTo(DriftEvaluation.DEFAULT_MAX_DELAY);
    assertThat(report.falseAlarms()).isEqualTo(3);
    assertThat(report.falseAlarmsPer100k()).isCloseTo(6.0, within(1e-12));
    assertThat(report.meanDelay()).isNaN();
    assertThat(report.maxDetectedDelay()).isEqualTo(-1);
    assertThat(report.delays()).isEmpty();
  }

  @Test
  void supplierIteratorAndManualFormsAgreeWithTheArrayForm() {
    double[] values = Streams.bernoulli(17, 10_000, 0.1, 0.4, 0.1);
    long[] drifts = {10_000, 20_000};
    DriftReport expected = DriftEvaluation.evaluate(new Adwin(), values, drifts, 1_000);
    int[] next = {0};
    assertThat(DriftEvaluation.evaluate(new Adwin(), () -> values[next[0]++], values.length, drifts, 1_000))
        .isEqualTo(expected);
    PrimitiveIterator.OfDouble iterator = DoubleStream.of(values).iterator();
    assertThat(DriftEvaluation.evaluate(new Adwin(), iterator, drifts, 1_000)).isEqualTo(expected);
    DriftEvaluation manual = new DriftEvaluation(drifts, 1_000);
    Adwin adwin = new Adwin();
    for (double v : values) {
      manual.observe(adwin.update(v));
    }
    assertThat(manual.instances()).isEqualTo(values.length);
    assertThat(manual.report(adwin.name())).isEqualTo(expected);
    assertThat(expected.missed()).isZero();
  }

  @Test
  void theReportLineFollowsTheHeaderColumns() {
    DriftReport report = DriftEvaluation.evaluate(new Scripted(200, 1_100, 5_000), new double[10_000], DRIFTS, 500);
    String line = report.toString();
    assertThat(line).startsWith("scripted").contains(" 10000 ").contains(" 10.00 ").contains(" 50.0 ");
    assertThat(line).hasSameSizeAs(DriftReport.header());
    assertThat(DriftReport.header()).contains("false/100k").contains("mean delay");
  }

  @Test
  void aLineWithoutDelaysShowsDashesNotNanOrMinusOne() {
    DriftReport noDrift = DriftEvaluation.evaluate(new Scripted(10), new double[10_000], new long[0], 500);
    DriftReport allMissed = DriftEvaluation.evaluate(new Scripted(), new double[10_000], DRIFTS, 500);
    for (DriftReport report : List.of(noDrift, allMissed)) {
      String line = report.toString();
      assertThat(line).doesNotContain("NaN").doesNotContain("-1").hasSameSizeAs(DriftReport.header());
      assertThat(line.split(" +")).as(line).endsWith(DriftReport.NONE, DriftReport.NONE);
    }
    assertThat(noDrift.toString()).contains(" 10.00 ");
  }

  @Test
  void badArgumentsAreRefusedWithClearMessages() {
    double[] values = new double[100];
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), values, new long[] {50, 50}, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strictly increasing");
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), values, new long[] {60, 50}, 10))
        .hasMessageContaining("point 1 (50) follows 60");
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), values, new long[] {-1}, 10))
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), values, new long[] {100}, 10))
        .hasMessageContaining("beyond the stream of 100 instances");
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), values, new long[] {10}, -1))
        .hasMessageContaining("maxDelay must be >= 0");
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), () -> 0, -5, new long[0], 10))
        .hasMessageContaining("instances must be >= 0");
    assertThatThrownBy(() -> DriftEvaluation.evaluate(new Scripted(), DoubleStream.of(0, 0).iterator(),
        new long[] {5}, 10)).hasMessageContaining("drift point 5 lies beyond the 2 instances");
    double[] withNaN = {0, 1, 0, Double.NaN, 1};
    Scripted detector = new Scripted();
    assertThatThrownBy(() -> DriftEvaluation.evaluate(detector, withNaN, new long[0], 10))
        .hasMessageContaining("value at instance 3 must be finite, got NaN");
  }
}
