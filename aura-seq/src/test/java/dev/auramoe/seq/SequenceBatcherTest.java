package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceBatcherTest {

  /** 7 sequences of 3 steps of 2 features; value = 100 s + 10 t + i, elapsed = s + t / 10. */
  private static SequenceBatcher data(long seed, boolean withElapsed) {
    int n = 7;
    float[] x = new float[n * 3 * 2];
    float[] e = new float[n * 3];
    int[] labels = new int[n];
    for (int s = 0; s < n; s++) {
      labels[s] = 1000 + s;
      for (int t = 0; t < 3; t++) {
        e[s * 3 + t] = s + t / 10f;
        for (int i = 0; i < 2; i++) {
          x[(s * 3 + t) * 2 + i] = 100 * s + 10 * t + i;
        }
      }
    }
    return new SequenceBatcher(x, withElapsed ? e : null, labels, n, 3, 2, seed);
  }

  /** The sequences of one epoch in batch order, each batch checked against the time-major layout. */
  private static List<Integer> epoch(SequenceBatcher b, boolean withElapsed) {
    List<Integer> seen = new ArrayList<>();
    float[] bx = new float[3 * 3 * 2];
    float[] be = new float[3 * 3];
    int[] bl = new int[3];
    b.startEpoch();
    int rows;
    while ((rows = b.next(3, bx, be, bl)) > 0) {
      for (int r = 0; r < rows; r++) {
        int s = bl[r] - 1000;
        seen.add(s);
        for (int t = 0; t < 3; t++) {
          assertThat(Float.valueOf(be[t * rows + r])).isEqualTo(Float.valueOf(withElapsed ? s + t / 10f : Float.NaN));
          for (int i = 0; i < 2; i++) {
            assertThat(bx[(t * rows + r) * 2 + i]).isEqualTo(100 * s + 10 * t + i);
          }
        }
      }
    }
    return seen;
  }

  @Test
  void everyEpochVisitsEverySequenceOnceInTimeMajorBatches() {
    SequenceBatcher b = data(3, true);
    List<Integer> first = epoch(b, true);
    List<Integer> second = epoch(b, true);
    assertThat(first).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6);
    assertThat(second).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6);
    assertThat(second).as("a new order each epoch").isNotEqualTo(first);
    assertThat(epoch(data(3, false), false)).as("same seed, same order").isEqualTo(first);
    assertThat(epoch(data(4, true), true)).as("another seed, another order").isNotEqualTo(first);
  }

  @Test
  void noBatchBeforeAnEpochStartsAndBadShapesFailClearly() {
    SequenceBatcher b = data(1, true);
    assertThat(b.next(2, new float[12], new float[6], new int[2])).isZero();
    assertThatThrownBy(() -> new SequenceBatcher(new float[10], null, new int[2], 2, 3, 2, 1))
        .hasMessageContaining("x holds 10 values, not 2 sequences x 3 steps x 2 features");
    assertThatThrownBy(() -> new SequenceBatcher(new float[12], new float[5], new int[2], 2, 3, 2, 1))
        .hasMessageContaining("elapsed holds 5");
    assertThatThrownBy(() -> new SequenceBatcher(new float[12], null, new int[3], 2, 3, 2, 1))
        .hasMessageContaining("labels holds 3");
    b.startEpoch();
    assertThatThrownBy(() -> b.next(2, new float[11], new float[6], new int[2])).hasMessageContaining("needs 12 inputs");
  }
}
