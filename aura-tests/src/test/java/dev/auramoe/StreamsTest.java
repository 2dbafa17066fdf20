package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.NlmsExpert;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model's streams: looked up and counted in constant time without copying their ids, kept in a
 * least-recently-used order that is bookkeeping only (digests and snapshots leave it out), carried
 * over by expert changes and started in opening order by a loaded snapshot.
 */
class StreamsTest {

  private static MixtureOfExperts model() {
    return MixtureOfExperts.builder(3, 1).experts(Experts.nlms("e", 3, 3, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(4)).seed(3).build();
  }

  /** Bytes this thread allocated so far (HotSpot's per-thread counter). */
  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void lookupsAndCountsDoNotCopyTheStreams() {
    MixtureOfExperts m = model();
    for (int i = 0; i < 50_000; i++) {
      m.openStream("s" + i);
    }
    String[] ids = {"s0", "s25000", "s49999", "absent", MixtureOfExperts.DEFAULT_STREAM};
    for (int warm = 0; warm < 3; warm++) {
      for (String id : ids) {
        m.hasStream(id);
        m.touchStream(id, 1);
      }
      m.streamCount();
      m.leastRecentlyUsedStream();
    }
    long before = allocated();
    int found = 0;
    for (int i = 0; i < 1_000; i++) {
      for (String id : ids) {
        found += m.hasStream(id) ? 1 : 0;
        found += m.touchStream(id, i) ? 1 : 0;
      }
      found += m.streamCount() > 0 ? 1 : 0;
      found += m.leastRecentlyUsedStream() != null ? 1 : 0;
    }
    long bytes = allocated() - before;
    assertThat(found).isEqualTo(1_000 * 10);
    // Copying the ids of 50,000 streams once takes about 200 KB; 1,000 rounds of lookups take none.
    assertThat(bytes).as("bytes allocated by 12,000 lookups among 50,000 streams").isLessThan(64 * 1024);
    assertThat(m.streamCount()).isEqualTo(50_001);
  }

  @Test
  void theLeastRecentlyUsedStreamIsTheOneTouchedLongestAgo() {
    MixtureOfExperts m = model();
    assertThat(m.leastRecentlyUsedStream()).as("the default stream is never a candidate").isNull();
    m.openStream("a");
    m.openStream("b");
    m.openStream("c");
    assertThat(m.leastRecentlyUsedStream()).isEqualTo("a");
    assertThat(m.touchStream("a", 7)).isTrue();
    assertThat(m.streamStamp("a")).isEqualTo(7);
    assertThat(m.streamStamp("b")).as("not touched since opened").isZero();
    assertThat(m.leastRecentlyUsedStream()).isEqualTo("b");
    assertThat(m.touchStream(MixtureOfExperts.DEFAULT_STREAM, 9)).isTrue();
    assertThat(m.touchStream("nope", 9)).isFalse();
    m.closeStream("b");
    assertThat(m.leastRecentlyUsedStream()).isEqualTo("c");
    m.touchStream("c", 8);
    assertThat(m.leastRecentlyUsedStream()).isEqualTo("a");
    m.closeStream("a");
    m.closeStream("c");
    assertThat(m.leastRecentlyUsedStream()).isNull();
    assertThat(m.streams()).containsExactly(MixtureOfExperts.DEFAULT_STREAM);
    assertThatThrownBy(() -> m.streamStamp("a")).isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void recencyIsNotModelStateAndExpertChangesKeepIt(@TempDir Path dir) throws Exception {
    MixtureOfExperts m = model();
    m.openStream("a");
    m.openStream("b");
    m.openStream("c");
    m.route("b", new float[] {1, 2, 3});
    String digest = m.digest();
    m.touchStream("a", 5);
    m.touchStream("b", 6);
    assertThat(m.digest()).as("touching changes no state").isEqualTo(digest);
    assertThat(m.leastRecentlyUsedStream()).isEqualTo("c");

    MixtureOfExperts added = m.withExpert(new NlmsExpert("x", 3, 1, 0.5));
    assertThat(added.leastRecentlyUsedStream()).isEqualTo("c");
    assertThat(added.streamStamp("b")).isEqualTo(6);
    assertThat(added.streams()).as("still listed in opening order").containsExactly("default", "a", "b", "c");
    added.closeStream("c");
    assertThat(added.leastRecentlyUsedStream()).isEqualTo("a");

    Path file = dir.resolve("m.aura");
    m.save(file);
    MixtureOfExperts loaded = MixtureOfExperts.load(file);
    assertThat(loaded.digest()).isEqualTo(digest);
    assertThat(loaded.leastRecentlyUsedStream()).as("a loaded model starts in opening order").isEqualTo("a");
    assertThat(loaded.streamStamp("b")).isZero();
    assertThat(loaded.streamCount()).isEqualTo(4);
  }

  @Test
  void theStateCopyHashesToTheDigest() {
    MixtureOfExperts m = model();
    m.learn(MixtureOfExperts.DEFAULT_STREAM, new float[] {1, -1, 0.5f}, new float[] {2});
    assertThat(Snapshots.digest(Snapshots.state(m))).isEqualTo(m.digest());
  }

  @Test
  void pagesOfIdsAreInIdOrderAndCopyOnlyThePage() {
    MixtureOfExperts m = model();
    for (int i = 0; i < 50_000; i++) {
      m.openStream(String.format("s%05d", 49_999 - i)); // opened in the reverse of id order
    }
    assertThat(m.streams(null, 3)).containsExactly("default", "s00000", "s00001");
    assertThat(m.streams("default", 2)).containsExactly("s00000", "s00001");
    assertThat(m.streams("s49998", 10)).containsExactly("s49999");
    assertThat(m.streams("s49999", 10)).isEmpty();
    m.closeStream("s00010");
    assertThat(m.streams("s00010", 1)).as("the id after need not be open").containsExactly("s00011");
    assertThat(m.streams("s00009", 1)).containsExactly("s00011");
    List<String> all = new ArrayList<>();
    for (List<String> page = m.streams(null, 4_096); !page.isEmpty(); page = m.streams(page.getLast(), 4_096)) {
      all.addAll(page);
    }
    assertThat(all).hasSize(50_000).isSorted();
    // Compared as sets: containsAll over two lists of 50,000 ids compares every pair.
    assertThat(new HashSet<>(all)).as("every open stream, once").isEqualTo(new HashSet<>(m.streams()));
    for (int warm = 0; warm < 3; warm++) {
      m.streams("s25000", 10);
    }
    long before = allocated();
    for (int i = 0; i < 100; i++) {
      m.streams("s25000", 10);
    }
    // One copy of all 50,000 ids takes about 200 KB: 100 pages of 10 take a fraction of one.
    assertThat(allocated() - before).as("bytes allocated by 100 pages of 10 among 50,000 streams")
        .isLessThan(64 * 1024);
    assertThatThrownBy(() -> m.streams(null, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theLatestStampOfTheLeastRecentlyUsedStreamsSaysHowLongTheyWereIdle() {
    MixtureOfExperts m = model();
    assertThat(m.latestStampOfLeastRecentlyUsed(1)).isEqualTo(Long.MIN_VALUE);
    m.openStream("a");
    m.openStream("b");
    m.openStream("c");
    m.touchStream("a", 30);
    m.touchStream("b", 10);
    m.touchStream("c", 20);
    m.touchStream(MixtureOfExperts.DEFAULT_STREAM, 99);
    assertThat(m.latestStampOfLeastRecentlyUsed(1)).isEqualTo(30);
    assertThat(m.latestStampOfLeastRecentlyUsed(3)).isEqualTo(30);
    assertThat(m.latestStampOfLeastRecentlyUsed(4)).as("the default stream does not count").isEqualTo(Long.MIN_VALUE);
    m.stampStreams(5);
    assertThat(m.latestStampOfLeastRecentlyUsed(3)).isEqualTo(5);
    assertThat(m.leastRecentlyUsedStream()).as("stamping keeps the order").isEqualTo("a");
  }

  @Test
  void aModelThatReplacesAnotherTakesOverItsRecency(@TempDir Path dir) throws Exception {
    MixtureOfExperts m = model();
    m.openStream("a");
    m.openStream("b");
    Path file = dir.resolve("m.aura");
    m.save(file); // holds a and b
    m.openStream("c");
    m.touchStream("b", 10);
    m.touchStream("c", 20);
    m.touchStream("a", 30);
    MixtureOfExperts loaded = MixtureOfExperts.load(file);
    loaded.openStream("d"); // only in the new model, as a stream of the snapshot closed since would be
    loaded.copyStreamRecency(m, 40);
    assertThat(loaded.streamStamp("a")).isEqualTo(30);
    assertThat(loaded.streamStamp("b")).isEqualTo(10);
    assertThat(loaded.streamStamp("d")).isEqualTo(40);
    assertThat(loaded.leastRecentlyUsedStream()).isEqualTo("b");
    loaded.closeStream("b");
    assertThat(loaded.leastRecentlyUsedStream()).isEqualTo("a");
    loaded.closeStream("a");
    assertThat(loaded.leastRecentlyUsedStream()).isEqualTo("d");
    assertThat(loaded.digest()).as("recency is no state").isEqualTo(copyWithout(file));
  }

  private static String copyWithout(Path file) throws Exception {
    MixtureOfExperts again = MixtureOfExperts.load(file);
    again.openStream("d");
    again.closeStream("a");
    again.closeStream("b");
    return again.digest();
  }
}
