package dev.auramoe.stream.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every {@link DriftDetector} promises, run over each implementation. */
class DriftDetectorContractTest {

  static Stream<Supplier<DriftDetector>> detectors() {
    return Stream.of(Adwin::new, PageHinkley::new, () -> new Adwin(0.01, 3, 1, 10, 5),
        () -> new PageHinkley(10, 0.01, 20, 0.999));
  }

  private static final double[] STREAM = Streams.bernoulli(11, 5_000, 0.1, 0.5, 0.1, 0.5);

  @ParameterizedTest
  @MethodSource("detectors")
  void resetGivesTheStateAfterConstruction(Supplier<DriftDetector> factory) {
    DriftDetector fresh = factory.get();
    DriftDetector used = factory.get();
    assertThat(used.name()).isNotBlank().isEqualTo(fresh.name());
    for (double v : STREAM) {
      used.update(v);
    }
    assertThat(used.detections()).as("%s detects the 0.1 -> 0.5 change", used.name()).isPositive();
    used.reset();
    assertThat(used.detections()).isZero();
    for (int i = 0; i < STREAM.length; i++) {
      assertThat(used.update(STREAM[i])).as("instance %d", i).isEqualTo(fresh.update(STREAM[i]));
      assertThat(used.inWarning()).isEqualTo(fresh.inWarning());
    }
    assertThat(used.detections()).isEqualTo(fresh.detections());
  }

  @ParameterizedTest
  @MethodSource("detectors")
  void nonFiniteValuesAreRefused(Supplier<DriftDetector> factory) {
    DriftDetector detector = factory.get();
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThatThrownBy(() -> detector.update(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("finite");
    }
    assertThat(detector.detections()).isZero();
  }

  @ParameterizedTest
  @MethodSource("detectors")
  void updateAllocatesNothingInSteadyState(Supplier<DriftDetector> factory) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    DriftDetector detector = factory.get();
    double[] values = Streams.bernoulli(13, 100_000, 0.2, 0.2, 0.6, 0.2);
    // Warm up on a longer stationary window than the measured one, so ADWIN's rows are all there.
    for (int i = 0; i < 200_000; i++) {
      detector.update(values[i]);
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    long detections = 0;
    for (int i = 200_000; i < values.length; i++) {
      detections += detector.update(values[i]) ? 1 : 0;
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(detections).as("the 0.2 -> 0.6 -> 0.2 changes are detected").isPositive();
    assertThat(allocated).as("bytes allocated by 200,000 updates of %s", detector.name()).isLessThan(1_024);
  }
}
