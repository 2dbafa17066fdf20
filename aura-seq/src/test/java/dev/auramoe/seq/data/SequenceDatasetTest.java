package dev.auramoe.seq.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.SequenceBatcher;
import dev.auramoe.seq.Task;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceDatasetTest {

  /** Sequence s has s % 5 + 1 steps of 2 features, value 100 s + 10 t + i, elapsed s + t / 10, label s % 3. */
  static SequenceDataset ragged(int n) {
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(3), List.of("a", "b"));
    for (int s = 0; s < n; s++) {
      int steps = s % 5 + 1;
      float[] x = new float[steps * 2];
      float[] e = new float[steps];
      for (int t = 0; t < steps; t++) {
        e[t] = s + t / 10f;
        for (int i = 0; i < 2; i++) {
          x[t * 2 + i] = 100 * s + 10 * t + i;
        }
      }
      b.add("seq" + s, steps, x, e, s % 3);
    }
    return b.build();
  }

  @Test
  void sequencesKeepTheirLengthsValuesAndIds() {
    SequenceDataset d = ragged(12);
    assertThat(d.size()).isEqualTo(12);
    assertThat(d.features()).isEqualTo(2);
    assertThat(d.maxLength()).isEqualTo(5);
    assertThat(d.totalSteps()).isEqualTo(1 + 2 + 3 + 4 + 5 + 1 + 2 + 3 + 4 + 5 + 1 + 2);
    assertThat(d.length(8)).isEqualTo(4);
    assertThat(d.value(8, 3, 1)).isEqualTo(831f);
    assertThat(d.elapsed(8, 3)).isEqualTo(8.3f);
    assertThat(d.id(8)).isEqualTo("seq8");
    assertThat(d.label(8)).isEqualTo(2);
    assertThat(d.classNames()).containsExactly("0", "1", "2");
    assertThat(d.indexOf("seq8")).isEqualTo(8);
    assertThatThrownBy(() -> d.value(8, 4, 0)).isInstanceOf(IndexOutOfBoundsException.class);

    SequenceDataset sub = d.select(new int[] {8, 2});
    assertThat(sub.size()).isEqualTo(2);
    assertThat(sub.id(0)).isEqualTo("seq8");
    assertThat(sub.length(1)).isEqualTo(3);
    assertThat(sub.value(1, 2, 0)).isEqualTo(220f);
    assertThat(sub.label(1)).isEqualTo(2);
    assertThatThrownBy(() -> d.select(new int[] {1, 1})).hasMessageContaining("sequence 1 is selected twice");
  }

  @Test
  void badDataIsRefusedWhenBuiltNamingSequenceIdAndStep() {
    float[] x = {1, 2, 3, 4, 5, 6};
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2)
        .add("a", 3, x, null, 0).add("b", 2, new float[] {1, Float.NaN, 3, 4}, null, 1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("feature 1 at step 0 of sequence 1 (id 'b') is not finite: NaN (feature 'f1')");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2)
        .add("a", 3, x, new float[] {Float.NaN, 0f, -1f}, 0).build())
        .hasMessage("elapsed time at step 2 of sequence 0 (id 'a') must be finite and >= 0 (or NaN for the regular "
            + "step), got -1.0");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2)
        .add("a", 3, x, new float[] {1f, Float.POSITIVE_INFINITY, 1f}, 0).build())
        .hasMessageContaining("step 1 of sequence 0 (id 'a')");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2).add("a", 3, x, null, 2).build())
        .hasMessage("label 2 of sequence 0 (id 'a') is outside 0..1");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2)
        .add("a", 1, x, null, 0).add("a", 1, x, null, 1).build())
        .hasMessage("sequences 0 and 1 have the same id 'a'");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.regression(1), 2)
        .add("r", 1, x, null, new float[] {Float.NaN}).build())
        .hasMessage("target 0 of sequence 0 (id 'r') is not finite: NaN");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2).add("a", 0, x, null, 0))
        .hasMessageContaining("has 0 steps");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2).add("a", 4, x, null, 0))
        .hasMessageContaining("4 steps of 2 features need 8 values");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2).build())
        .hasMessage("a data set needs at least one sequence");
    assertThatThrownBy(() -> SequenceDataset.builder(Task.classification(2), 2).classNames(List.of("x")))
        .hasMessageContaining("2 classes need 2 names");
  }

  /** Rows of one batch: left-padded to the longest, {@code first} the first real step, padding 0 and elapsed 0. */
  @Test
  void batchesAreLeftPaddedWithFirstStepsAndZeroPadding() {
    SequenceDataset d = ragged(12);
    SequenceBatcher batcher = new SequenceBatcher(d, 5);
    SequenceBatch batch = new SequenceBatch(2, 0);
    List<Integer> seen = new ArrayList<>();
    batcher.startEpoch();
    int rows;
    while ((rows = batcher.next(5, batch)) > 0) {
      assertThat(batch.size()).isEqualTo(rows);
      int longest = 0;
      for (int r = 0; r < rows; r++) {
        longest = Math.max(longest, d.length(batcher.sequence(r)));
      }
      assertThat(batch.steps()).as("padded to the batch's longest sequence").isEqualTo(longest);
      for (int r = 0; r < rows; r++) {
        int s = batcher.sequence(r);
        seen.add(s);
        int first = batch.steps() - d.length(s);
        assertThat(batch.first()[r]).isEqualTo(first);
        assertThat(batch.labels()[r]).isEqualTo(s % 3);
        for (int t = 0; t < batch.steps(); t++) {
          int cell = t * rows + r;
          float e = batch.elapsed()[cell];
          if (t < first) {
            assertThat(e).isZero();
            assertThat(batch.x()[cell * 2]).isZero();
            assertThat(batch.x()[cell * 2 + 1]).isZero();
          } else {
            int real = t - first;
            assertThat(e).isEqualTo(s + real / 10f);
            assertThat(batch.x()[cell * 2 + 1]).isEqualTo(100 * s + 10 * real + 1);
          }
        }
      }
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(seen).as("shuffled").isNotEqualTo(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));

    batcher.startInOrder();
    List<Integer> inOrder = new ArrayList<>();
    while ((rows = batcher.next(5, batch)) > 0) {
      for (int r = 0; r < rows; r++) {
        inOrder.add(batcher.sequence(r));
      }
    }
    assertThat(inOrder).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(batch.size()).as("the last batch of the pass stays").isEqualTo(2);
    assertThatThrownBy(() -> batcher.next(5, new SequenceBatch(3, 0)))
        .hasMessageContaining("the data set has 2 features and 0 targets per sequence, the batch 3 and 0");
    assertThatThrownBy(() -> batcher.next(5, new float[100], new float[100], new int[5]))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void regressionBatchesCarryTheTargets() {
    SequenceDataset.Builder b = SequenceDataset.builder(Task.regression(2), 1);
    for (int s = 0; s < 4; s++) {
      b.add("r" + s, s + 1, new float[] {1, 2, 3, 4}, null, new float[] {s, 10 - s});
    }
    SequenceBatcher batcher = new SequenceBatcher(b.build(), 1);
    SequenceBatch batch = new SequenceBatch(1, 2);
    batcher.startInOrder();
    assertThat(batcher.next(3, batch)).isEqualTo(3);
    assertThat(batch.first()).startsWith(2, 1, 0);
    assertThat(batch.targets()).startsWith(0f, 10f, 1f, 9f, 2f, 8f);
    assertThat(batch.elapsed()[2]).as("a real step without elapsed time is the regular step").isNaN();
    assertThat(batch.elapsed()[0]).as("padding").isZero();
  }

  @Test
  void gatheringABatchDoesNotAllocate() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    SequenceDataset d = ragged(200);
    SequenceBatcher batcher = new SequenceBatcher(d, 9);
    SequenceBatch batch = new SequenceBatch(2, 0);
    long sum = 0;
    for (int i = 0; i < 300; i++) {
      batcher.startEpoch();
      while (batcher.next(16, batch) > 0) {
        sum += batch.first()[0];
      }
      batcher.startInOrder();
      while (batcher.next(16, batch) > 0) {
        sum += batch.first()[0];
      }
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 50; i++) {
      batcher.startEpoch();
      while (batcher.next(16, batch) > 0) {
        sum += batch.first()[0];
      }
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(sum).isPositive();
    assertThat(allocated).as("bytes allocated by 50 epochs of batches").isLessThan(1_024);
  }

  @Test
  void theSameSeedGivesTheSameBatches() {
    SequenceDataset d = ragged(30);
    assertThat(epoch(new SequenceBatcher(d, 4))).isEqualTo(epoch(new SequenceBatcher(d, 4)))
        .isNotEqualTo(epoch(new SequenceBatcher(d, 5)));
  }

  private static List<Integer> epoch(SequenceBatcher b) {
    List<Integer> order = new ArrayList<>();
    SequenceBatch batch = new SequenceBatch(2, 0);
    b.startEpoch();
    int rows;
    while ((rows = b.next(7, batch)) > 0) {
      for (int r = 0; r < rows; r++) {
        order.add(b.sequence(r));
      }
    }
    return order;
  }
}
