package dev.auramoe.snn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.seq.SequenceBatch;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageBatcherTest {

  /** n images of 2x3x2 whose every pixel is the image's index, labels i % 3. */
  private static ImageDataset images(int n) {
    ImageShape shape = new ImageShape(2, 3, 2);
    float[] x = new float[n * shape.size()];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      java.util.Arrays.fill(x, i * 12, (i + 1) * 12, i);
      labels[i] = i % 3;
    }
    return ImageDataset.of(shape, x, labels, List.of("a", "b", "c"));
  }

  /** The indices of each batch of one epoch, checking that each row holds its image and label. */
  private static List<List<Integer>> epoch(ImageBatcher batcher, SequenceBatch batch) {
    ImageDataset d = batcher.data();
    List<List<Integer>> batches = new ArrayList<>();
    batcher.start(true);
    int n;
    while ((n = batcher.next(batch, 5)) > 0) {
      assertThat(batch.size()).isEqualTo(n);
      assertThat(batch.steps()).isEqualTo(1);
      List<Integer> rows = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int i = (int) batch.x()[r * 12];
        assertThat(batch.elapsed()[r]).isNaN();
        assertThat(batch.first()[r]).isZero();
        rows.add(i);
        assertThat(batch.labels()[r]).isEqualTo(d.label(i));
        for (int p = 0; p < 12; p++) {
          assertThat(batch.x()[r * 12 + p]).isEqualTo((float) i);
        }
      }
      batches.add(rows);
    }
    return batches;
  }

  @Test
  void eachEpochVisitsEveryImageOnceInASeededOrderWithAPartialLastBatch() {
    ImageDataset d = images(23);
    ImageBatcher batcher = new ImageBatcher(d, 42);
    SequenceBatch batch = new SequenceBatch(12, 0);
    List<List<Integer>> first = epoch(batcher, batch);
    assertThat(first).extracting(List::size).containsExactly(5, 5, 5, 5, 3);
    List<Integer> all = first.stream().flatMap(List::stream).toList();
    assertThat(all).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, 23).boxed().toList());
    assertThat(all).as("shuffled").isNotEqualTo(java.util.stream.IntStream.range(0, 23).boxed().toList());
    List<List<Integer>> second = epoch(batcher, batch);
    assertThat(second).as("a new order each epoch").isNotEqualTo(first);
    assertThat(second.stream().flatMap(List::stream).toList()).containsExactlyInAnyOrderElementsOf(all);
    assertThat(batcher.next(batch, 5)).as("the epoch is over").isZero();
    assertThat(batch.size()).as("an empty next leaves the batch").isEqualTo(3);

    ImageBatcher again = new ImageBatcher(d, 42);
    assertThat(epoch(again, batch)).as("the same seed, the same batches").isEqualTo(first);
    assertThat(epoch(again, batch)).isEqualTo(second);
    assertThat(epoch(new ImageBatcher(d, 43), batch)).isNotEqualTo(first);
  }

  @Test
  void inOrderPassesFollowTheDataSet() {
    ImageDataset d = images(7);
    ImageBatcher batcher = new ImageBatcher(d, 1);
    SequenceBatch batch = new SequenceBatch(12, 0);
    assertThat(batcher.sequences()).isEqualTo(7);
    assertThat(batcher.next(batch, 4)).as("nothing before a pass starts").isZero();
    batcher.start(false);
    assertThat(batcher.next(batch, 4)).isEqualTo(4);
    assertThat(new float[] {batch.x()[0], batch.x()[12], batch.x()[24], batch.x()[36]}).containsExactly(0, 1, 2, 3);
    assertThat(batch.labels()).startsWith(0, 1, 2, 0);
    assertThat(batcher.next(batch, 4)).isEqualTo(3);
    assertThat(batch.x()[2 * 12]).isEqualTo(6f);
    assertThat(batcher.next(batch, 4)).isZero();
    assertThatThrownBy(() -> batcher.next(new SequenceBatch(11, 0), 4))
        .hasMessage("the batch holds 11 features per step, an image of 2x3x2 has 12");
    assertThatThrownBy(() -> batcher.next(batch, 0)).hasMessage("a batch needs a size > 0, got 0");
  }

  @Test
  void batchesDoNotAllocate() {
    ImageDataset d = images(50);
    ImageBatcher batcher = new ImageBatcher(d, 7);
    SequenceBatch batch = new SequenceBatch(12, 0);
    Runnable epoch = () -> {
      batcher.start(true);
      while (batcher.next(batch, 8) > 0) {
        // gathering is all
      }
    };
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 2_000; i++) {
      epoch.run();
    }
    long allocated = Long.MAX_VALUE;
    for (int round = 0; round < 20 && allocated >= 1_024; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 200; i++) {
        epoch.run();
      }
      allocated = threads.getCurrentThreadAllocatedBytes() - before;
    }
    assertThat(allocated).as("bytes allocated by 200 warm epochs").isLessThan(1_024);
  }
}
