package dev.auramoe.seq.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SamplesTest {

  @Test
  void aSampleIsDistinctSortedSeededAndSpreadOverTheWholeRange() {
    int[] a = Samples.sorted(1000, 100, 7);
    assertThat(a).hasSize(100).isSorted().doesNotHaveDuplicates();
    assertThat(a[0]).isNotNegative();
    assertThat(a[99]).isLessThan(1000);
    assertThat(Samples.sorted(1000, 100, 7)).containsExactly(a);
    assertThat(Samples.sorted(1000, 100, 8)).isNotEqualTo(a);
    // Not a prefix: the sample reaches the whole range.
    assertThat(a[99]).isGreaterThan(800);
    assertThat(Arrays.stream(a).average().orElseThrow()).isBetween(350.0, 650.0);
    assertThat(Samples.sorted(5, 5, 1)).containsExactly(0, 1, 2, 3, 4);
    assertThat(Samples.sorted(5, 0, 1)).isEmpty();
  }

  @Test
  void refusesImpossibleSizes() {
    assertThatThrownBy(() -> Samples.sorted(5, 6, 1)).hasMessageContaining("6 from 5");
    assertThatThrownBy(() -> Samples.sorted(5, -1, 1)).hasMessageContaining("-1 from 5");
  }
}
