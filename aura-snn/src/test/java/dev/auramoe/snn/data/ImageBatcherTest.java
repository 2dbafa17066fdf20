package dev.auramoe.snn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  private static List<List<Integer>> epoch(ImageBatcher batcher, ImageBatch batch) {
    ImageDataset d = batcher.data();
    List<List<Integer>> batches = new ArrayList<>();
    batcher.startEpoch();
    int n;
    while ((n = batcher.next(batch)) > 0) {
      assertThat(batch.size()).isEqualTo(n);
      List<Integer> rows = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int i = batch.indices()[r];
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
    ImageBatch batch = new ImageBatch(d.shape(), 5);
    List<List<Integer>> first = epoch(batcher, batch);
    assertThat(first).extracting(List::size).containsExactly(5, 5, 5, 5, 3);
    List<Integer> all = first.stream().flatMap(List::stream).toList();
    assertThat(all).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, 23).boxed().toList());
    assertThat(all).as("shuffled").isNotEqualTo(java.util.stream.IntStream.range(0, 23).boxed().toList());
    List<List<Integer>> second = epoch(batcher, batch);
    assertThat(second).as("a new order each epoch").isNotEqualTo(first);
    assertThat(second.stream().flatMap(List::stream).toList()).containsExactlyInAnyOrderElementsOf(all);
    assertThat(batcher.next(batch)).as("the epoch is over").isZero();
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
    ImageBatch batch = new ImageBatch(d.shape(), 4);
    assertThat(batcher.next(batch)).as("nothing before a pass starts").isZero();
    batcher.startInOrder();
    assertThat(batcher.next(batch)).isEqualTo(4);
    assertThat(batch.indices()).startsWith(0, 1, 2, 3);
    assertThat(batcher.next(batch)).isEqualTo(3);
    assertThat(batch.indices()).startsWith(4, 5, 6);
    assertThat(batch.x()[2 * 12]).isEqualTo(6f);
    assertThat(batcher.next(batch)).isZero();
    assertThatThrownBy(() -> batcher.next(new ImageBatch(new ImageShape(1, 3, 4), 4)))
        .hasMessage("the batch holds images of 1x3x4, the data set 2x3x2");
    assertThatThrownBy(() -> new ImageBatch(d.shape(), 0)).hasMessage("a batch needs a capacity > 0, got 0");
  }

  @Test
  void batchesDoNotAllocate() {
    ImageDataset d = images(50);
    ImageBatcher batcher = new ImageBatcher(d, 7);
    ImageBatch batch = new ImageBatch(d.shape(), 8);
    Runnable epoch = () -> {
      batcher.startEpoch();
      while (batcher.next(batch) > 0) {
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
