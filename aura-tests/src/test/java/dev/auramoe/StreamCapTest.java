package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.routing.RouteBuffer;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bound on a model's open streams: at the cap an open evicts the least recently used streams
 * that have been idle long enough (never the default one) or is refused, changing nothing; each
 * eviction is counted and reported with the stream's state, which restores the stream exactly.
 */
class StreamCapTest {

  static MixtureOfExperts model(StreamLimits limits) {
    return StreamStateTest.builder().streamLimits(limits).build();
  }

  @Test
  void atTheCapAnOpenEvictsTheLeastRecentlyUsedStreamAndNeverTheDefault() {
    Map<String, byte[]> evicted = new LinkedHashMap<>();
    MixtureOfExperts m = StreamStateTest.builder().streamLimits(StreamLimits.evicting(3))
        .streamEvictionListener(evicted::put).build();
    m.openStream("a", 1);
    m.openStream("b", 2);
    m.route("b", new float[] {1, 2, 3}, Float.NaN, new int[] {5}, m.newRouteBuffer());
    byte[] bState = m.exportStream("b");
    m.touchStream("a", 3);
    // The default stream was never touched, so it was used least recently of all, and it stays.
    assertThat(m.streamsToEvict(4)).containsExactly("b");
    assertThat(m.streams()).as("asking evicts nothing").containsExactly("default", "a", "b");
    m.openStream("c", 4);
    assertThat(m.streams()).containsExactly("default", "a", "c");
    assertThat(evicted).containsOnlyKeys("b");
    assertThat(evicted.get("b")).as("the listener gets the state as exported").isEqualTo(bState);
    assertThat(m.evictedStreams()).isEqualTo(1);
    assertThat(m.streamStamp("c")).isEqualTo(4);
    m.importStream("d", m.exportStream("a"), 5);
    assertThat(m.streams()).as("importing an absent stream opens it").containsExactly("default", "c", "d");
    m.importStream("c", bState, 6);
    assertThat(m.streams()).as("importing into an open stream evicts nothing").containsExactly("default", "c", "d");
    assertThat(m.evictedStreams()).isEqualTo(2);
    assertThat(m.leastRecentlyUsedStream()).as("an import is a use").isEqualTo("d");
    m.closeStream("d");
    assertThat(m.evictedStreams()).as("a close is not an eviction").isEqualTo(2);
  }

  @Test
  void refusingLimitsRefuseAnotherStreamAndChangeNothing() {
    MixtureOfExperts m = model(StreamLimits.refusing(2));
    m.openStream("a");
    byte[] a = m.exportStream("a");
    String digest = m.digest();
    StreamCapacityException e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("b"));
    assertThat(e).hasMessageContaining("holds 2 open streams, its most").hasMessageContaining("refuse");
    assertThat(e.retryAfter()).as("waiting does not help").isEqualTo(-1);
    assertThat(e.openStreams()).isEqualTo(2);
    assertThat(e.maxStreams()).isEqualTo(2);
    assertThatThrownBy(() -> m.importStream("b", a)).isInstanceOf(StreamCapacityException.class);
    assertThatThrownBy(() -> m.ensureStream("b")).isInstanceOf(StreamCapacityException.class);
    assertThatThrownBy(() -> m.streamsToEvict(0)).isInstanceOf(StreamCapacityException.class);
    assertThat(m.streams()).containsExactly("default", "a");
    assertThat(m.digest()).isEqualTo(digest);
    assertThat(m.evictedStreams()).isZero();
    m.closeStream("a");
    m.openStream("b");
    assertThat(m.streams()).containsExactly("default", "b");
  }

  @Test
  void onlyStreamsIdleLongEnoughAreEvictedAndARefusalSaysHowLongToWait() {
    MixtureOfExperts m = model(StreamLimits.evicting(3).withMinIdle(10));
    m.openStream("a", 100);
    m.openStream("b", 104);
    StreamCapacityException e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("c", 105));
    assertThat(e).hasMessageContaining("'a'").hasMessageContaining("was used 5 stamps ago")
        .hasMessageContaining("idle for 10 stamps");
    assertThat(e.retryAfter()).isEqualTo(5);
    assertThat(e.toEvict()).isEqualTo(1);
    assertThatThrownBy(() -> m.streamsToEvict(109)).isInstanceOf(StreamCapacityException.class);
    assertThat(m.streamsToEvict(110)).containsExactly("a");
    m.touchStream("a", 108);
    e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("c", 110));
    assertThat(e).as("now b is the least recently used").hasMessageContaining("'b'");
    assertThat(e.retryAfter()).isEqualTo(4);
    // Without a stamp an open happens at the latest stamp given (108): b is idle for 4.
    assertThatThrownBy(() -> m.openStream("c")).isInstanceOf(StreamCapacityException.class);
    m.openStream("c", 114);
    assertThat(m.streams()).containsExactly("default", "a", "c");
    // A stamp far ahead does not overflow the idle age.
    m.openStream("d", Long.MAX_VALUE);
    assertThat(m.streams()).containsExactly("default", "c", "d");
    e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("e", Long.MIN_VALUE));
    assertThat(e.retryAfter()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aCapOfOneLeavesNothingToEvictButTheDefaultStream() {
    MixtureOfExperts m = model(StreamLimits.evicting(1));
    StreamCapacityException e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("a"));
    assertThat(e).hasMessageContaining("no stream to evict but the default one");
    assertThat(e.retryAfter()).isEqualTo(-1);
    assertThat(m.streams()).containsExactly("default");
    assertThatThrownBy(() -> m.evictStream(MixtureOfExperts.DEFAULT_STREAM))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.evictStream("nope")).isInstanceOf(java.util.NoSuchElementException.class);
    assertThatThrownBy(() -> new StreamLimits(0, StreamLimits.WhenFull.REFUSE, 0, StreamLimits.Recency.STAMPS))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxStreams");
    assertThatThrownBy(() -> StreamLimits.evicting(2).withMinIdle(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLoweredCapIsReachedAtTheNextOpenAllOrNothing() {
    MixtureOfExperts m = StreamStateTest.model();
    for (int i = 0; i < 5; i++) {
      m.openStream("s" + i, 10 + i);
    }
    m.setStreamLimits(StreamLimits.evicting(3).withMinIdle(5));
    assertThat(m.streamCount()).as("lowering the cap evicts nothing at once").isEqualTo(6);
    // It must evict s0..s3 (6 - 3 + 1), and s3 was used at 13: at 17 it has been idle for 4 only.
    StreamCapacityException e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("n", 17));
    assertThat(e.toEvict()).isEqualTo(4);
    assertThat(e).hasMessageContaining("the busiest of the 4 least recently used streams");
    assertThat(m.streamCount()).isEqualTo(6);
    assertThat(m.streamsToEvict(18)).containsExactly("s0", "s1", "s2", "s3");
    m.openStream("n", 18);
    assertThat(m.streams()).containsExactly("default", "s4", "n");
    assertThat(m.evictedStreams()).isEqualTo(4);
  }

  /**
   * A dry run under a tighter cap than the limits' (a service whose shared memory has less room):
   * the limits' idle rule and refusal still apply, and the limits' own cap still bounds it.
   */
  @Test
  void aDryRunUnderATighterCapEvictsByTheLimitsRules() {
    MixtureOfExperts m = model(StreamLimits.evicting(10).withMinIdle(5));
    m.openStream("a", 10);
    m.openStream("b", 12);
    assertThat(m.streamsToEvict(20)).as("room under the limits' cap").isEmpty();
    assertThat(m.streamsToEvict(20, 3)).as("at a cap of the streams open, one goes").containsExactly("a");
    assertThat(m.streamsToEvict(20, 2)).containsExactly("a", "b");
    assertThat(m.streamsToEvict(20, 100)).as("the limits' cap still holds").isEmpty();
    StreamCapacityException e = catchThrowableOfType(StreamCapacityException.class, () -> m.streamsToEvict(14, 3));
    assertThat(e.maxStreams()).isEqualTo(3);
    assertThat(e.retryAfter()).as("a was used 4 stamps before").isEqualTo(1);
    assertThat(m.streams()).as("asking evicts nothing").containsExactly("default", "a", "b");
    assertThatThrownBy(() -> m.streamsToEvict(20, 0)).isInstanceOf(IllegalArgumentException.class);
    m.setStreamLimits(StreamLimits.refusing(10));
    e = catchThrowableOfType(StreamCapacityException.class, () -> m.streamsToEvict(20, 3));
    assertThat(e.retryAfter()).as("refusing limits refuse under any cap").isEqualTo(-1);
  }

  @Test
  void aListenerThatThrowsKeepsTheStreamAndTheOpenFails() {
    MixtureOfExperts m = model(StreamLimits.evicting(2));
    m.openStream("a");
    m.setStreamEvictionListener((id, state) -> {
      throw new IllegalStateException("log full");
    });
    assertThatThrownBy(() -> m.openStream("b")).isInstanceOf(IllegalStateException.class).hasMessage("log full");
    assertThatThrownBy(() -> m.evictStream("a")).hasMessage("log full");
    assertThat(m.streams()).containsExactly("default", "a");
    assertThat(m.evictedStreams()).isZero();
    m.setStreamEvictionListener(null);
    m.openStream("b");
    assertThat(m.streams()).containsExactly("default", "b");
  }

  /** What a model's streams are: ids in opening order, recency, stamps, states and the eviction count. */
  private record StreamsView(java.util.List<String> ids, String leastRecentlyUsed, Map<String, Long> stamps,
      Map<String, java.util.List<Byte>> states, long evicted) {
    static StreamsView of(MixtureOfExperts m) {
      Map<String, Long> stamps = new LinkedHashMap<>();
      Map<String, java.util.List<Byte>> states = new LinkedHashMap<>();
      for (String id : m.streams()) {
        stamps.put(id, m.streamStamp(id));
        byte[] b = m.exportStream(id);
        java.util.List<Byte> l = new java.util.ArrayList<>(b.length);
        for (byte x : b) {
          l.add(x);
        }
        states.put(id, l);
      }
      return new StreamsView(m.streams(), m.leastRecentlyUsedStream(), stamps, states, m.evictedStreams());
    }
  }

  /** Every call that changes a model's streams, as a listener of the model might make it. */
  private static Map<String, java.util.function.Consumer<MixtureOfExperts>> streamChanges() {
    Map<String, java.util.function.Consumer<MixtureOfExperts>> c = new LinkedHashMap<>();
    c.put("open", m -> m.openStream("x"));
    c.put("open with a stamp", m -> m.openStream("x", 9));
    c.put("ensure", m -> m.ensureStream("x"));
    c.put("ensure an open stream", m -> m.ensureStream("a"));
    c.put("close another stream", m -> m.closeStream("a"));
    c.put("close the evicted stream", m -> m.closeStream("b"));
    c.put("evict another stream", m -> m.evictStream("a"));
    c.put("evict the evicted stream", m -> m.evictStream("b"));
    c.put("import a new stream", m -> m.importStream("x", m.exportStream("a")));
    c.put("import into an open stream", m -> m.importStream("a", m.exportStream("default"), 9));
    c.put("reset", m -> m.resetStream("a"));
    c.put("reset all", MixtureOfExperts::resetAllStreams);
    c.put("touch", m -> m.touchStream("a", 9));
    c.put("stamp all", m -> m.stampStreams(9));
    c.put("copy recency", m -> m.copyStreamRecency(model(StreamLimits.UNLIMITED), 9));
    c.put("set limits", m -> m.setStreamLimits(StreamLimits.UNLIMITED));
    c.put("set the listener", m -> m.setStreamEvictionListener(null));
    c.put("route", m -> m.route("a", new float[] {1, 2, 3}));
    c.put("route the evicted stream", m -> m.route("b", new float[] {1, 2, 3}));
    c.put("learn", m -> m.learn("a", new float[] {1, 2, 3}, new float[] {1, 0}));
    return c;
  }

  /** A model at its cap of 3 with streams a and b, b used least recently, each stream with a state. */
  private static MixtureOfExperts fullModel() {
    MixtureOfExperts m = model(StreamLimits.evicting(3));
    m.openStream("b", 1);
    m.openStream("a", 2);
    for (String id : m.streams()) {
      m.route(id, new float[] {1, -2, 3}, Float.NaN, new int[] {7}, m.newRouteBuffer());
    }
    return m;
  }

  @Test
  void aListenerThatChangesTheStreamsIsRefusedAndChangesNothing() {
    for (var change : streamChanges().entrySet()) {
      MixtureOfExperts m = fullModel();
      Map<String, StreamsView> seen = new LinkedHashMap<>();
      Throwable[] refused = new Throwable[1];
      m.setStreamEvictionListener((id, state) -> {
        seen.put("before", StreamsView.of(m));
        refused[0] = org.assertj.core.api.Assertions.catchThrowable(() -> change.getValue().accept(m));
        seen.put("after", StreamsView.of(m));
      });
      m.openStream("c", 3);
      assertThat(refused[0]).as(change.getKey()).isInstanceOf(IllegalStateException.class)
          .hasMessage("the stream eviction listener must not change the model's streams");
      assertThat(seen.get("before").ids()).as(change.getKey() + ": the evicted stream is still open")
          .containsExactly("default", "b", "a");
      assertThat(seen.get("after")).as(change.getKey() + ": the refused call changed nothing")
          .isEqualTo(seen.get("before"));
      assertThat(m.streams()).as(change.getKey() + ": the open went on").containsExactly("default", "a", "c");
      assertThat(m.evictedStreams()).as(change.getKey()).isEqualTo(1);
      m.openStream("d", 4);
      assertThat(m.streams()).as(change.getKey() + ": the flag is cleared").containsExactly("default", "c", "d");
    }
  }

  @Test
  void aListenerThatOpensClosesOrEvictsFailsTheOpenAndChangesNothing() {
    for (String name : java.util.List.of("open", "close another stream", "evict another stream")) {
      MixtureOfExperts m = fullModel();
      StreamsView before = StreamsView.of(m);
      var change = streamChanges().get(name);
      m.setStreamEvictionListener((id, state) -> change.accept(m));
      assertThatThrownBy(() -> m.openStream("c", 3)).as(name).isInstanceOf(IllegalStateException.class)
          .hasMessage("the stream eviction listener must not change the model's streams");
      assertThatThrownBy(() -> m.evictStream("a")).as(name).isInstanceOf(IllegalStateException.class)
          .hasMessage("the stream eviction listener must not change the model's streams");
      assertThat(StreamsView.of(m)).as(name).isEqualTo(before);
      m.setStreamEvictionListener(null);
      m.openStream("c", 3);
      assertThat(m.streams()).as(name).containsExactly("default", "a", "c");
    }
  }

  @Test
  void aListenerMayReadTheModel() {
    MixtureOfExperts m = fullModel();
    byte[] a = m.exportStream("a");
    String digest = m.digest();
    Map<String, Object> read = new LinkedHashMap<>();
    m.setStreamEvictionListener((id, state) -> {
      read.put("a", m.exportStream("a"));
      read.put("has b", m.hasStream("b"));
      read.put("count", m.streamCount());
      read.put("to evict", m.streamsToEvict(3));
      read.put("digest", m.digest());
    });
    m.openStream("c", 3);
    assertThat(read.get("a")).isEqualTo(a);
    assertThat(read).containsEntry("has b", true).containsEntry("count", 3)
        .containsEntry("to evict", java.util.List.of("b"))
        .containsEntry("digest", digest);
  }

  @Test
  void withRoutesRecencyEachRoutedInputIsAUseAndIdleAgeCountsInputs() {
    MixtureOfExperts m = model(StreamLimits.evicting(3).withMinIdle(3).withRecency(StreamLimits.Recency.ROUTES));
    m.openStream("a");
    m.openStream("b");
    float[] x = {0.5f, -1f, 2f};
    m.route("a", x);
    m.route("b", x);
    m.route("a", x);
    assertThat(m.leastRecentlyUsedStream()).isEqualTo("b");
    assertThat(m.streamStamp("a")).isEqualTo(3);
    StreamCapacityException e = catchThrowableOfType(StreamCapacityException.class, () -> m.openStream("c"));
    assertThat(e).hasMessageContaining("'b'").hasMessageContaining("was used 1 routed inputs ago");
    assertThat(e.retryAfter()).isEqualTo(2);
    m.learn(MixtureOfExperts.DEFAULT_STREAM, x, new float[] {1, 1});
    m.predict("a", x);
    m.openStream("c");
    assertThat(m.streams()).containsExactly("default", "a", "c");
    assertThat(m.streamStamp("c")).as("opened now").isEqualTo(5);
    // A window's real rows are uses too.
    m.routeWindow("c", new float[] {1, 2, 3, 4, 5, 6}, 2, new boolean[] {true, false},
        new dev.auramoe.routing.policy.Assignment());
    assertThat(m.streamStamp("c")).isEqualTo(6);
  }

  @Test
  void aJobWhoseEvictedStreamsComeBackFromTheirStateMatchesAnUnboundedTwin() {
    // Keyed state: a stream evicted under the cap is kept as bytes and imported when it comes back.
    Map<String, byte[]> kept = new HashMap<>();
    MixtureOfExperts bounded = StreamStateTest.builder()
        .streamLimits(StreamLimits.evicting(4).withRecency(StreamLimits.Recency.ROUTES))
        .streamEvictionListener(kept::put).build();
    MixtureOfExperts twin = StreamStateTest.model();
    Random keys = new Random(21);
    Random rb = new Random(8);
    Random rt = new Random(8);
    RouteBuffer bb = bounded.newRouteBuffer();
    RouteBuffer bt = twin.newRouteBuffer();
    int restored = 0;
    for (int i = 0; i < 600; i++) {
      String id = "k" + keys.nextInt(9);
      if (!bounded.hasStream(id)) {
        byte[] state = kept.remove(id);
        if (state == null) {
          bounded.openStream(id);
        } else {
          bounded.importStream(id, state);
          restored++;
        }
      }
      twin.ensureStream(id);
      StreamStateTest.step(bounded, id, rb, bb);
      StreamStateTest.step(twin, id, rt, bt);
      StreamStateTest.assertSameDecision(bb, bt, "input " + i + " on " + id);
      assertThat(bounded.streamCount()).isLessThanOrEqualTo(4);
    }
    assertThat(restored).as("streams came back from their state").isGreaterThan(100);
    assertThat(bounded.evictedStreams()).isEqualTo(kept.size() + restored);
    for (String id : twin.streams()) {
      if (bounded.hasStream(id)) {
        StreamStateTest.assertSameStream(bounded, twin, id);
      } else {
        assertThat(kept.get(id)).as(id).isEqualTo(twin.exportStream(id));
      }
    }
  }

  @Test
  void expertChangesCarryTheLimitsTheListenerAndTheCount() {
    Map<String, byte[]> evicted = new HashMap<>();
    MixtureOfExperts m = StreamStateTest.builder().streamLimits(StreamLimits.evicting(2))
        .streamEvictionListener(evicted::put).build();
    m.openStream("a");
    m.openStream("b");
    MixtureOfExperts n = m.withExpert(new NlmsExpert("x", 3, 2, 0.3));
    assertThat(n.streamLimits()).isEqualTo(StreamLimits.evicting(2));
    assertThat(n.evictedStreams()).isEqualTo(1);
    n.openStream("c");
    assertThat(evicted).containsOnlyKeys("a", "b");
    assertThat(n.evictedStreams()).isEqualTo(2);
    assertThat(StreamStateTest.model().streamLimits()).isEqualTo(StreamLimits.UNLIMITED);
  }

  /** Bytes this thread allocated so far (HotSpot's per-thread counter). */
  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  /**
   * The fewest bytes that one of up to 200 rounds of 10,000 routes over four streams allocated (it
   * stops at the first round under 4 KB): until the JIT has compiled the Vector API kernels (after
   * 200,000 routes and more on a busy machine) they allocate their vectors, whereas an allocation on
   * the route path would show in every round.
   */
  private static long routeAllocation(MixtureOfExperts m, int[] tokens) {
    String[] ids = {"a", "b", "c", MixtureOfExperts.DEFAULT_STREAM};
    for (String id : ids) {
      m.ensureStream(id);
    }
    RouteBuffer out = m.newRouteBuffer();
    float[] x = {0.1f, 0.2f, 0.3f};
    long fewest = Long.MAX_VALUE;
    for (int round = 0; round < 200 && fewest >= 4096; round++) {
      long before = allocated();
      for (int i = 0; i < 10_000; i++) {
        m.route(ids[i & 3], x, Float.NaN, tokens, out);
      }
      fewest = Math.min(fewest, allocated() - before);
    }
    return fewest;
  }

  @Test
  void routingWithRoutesRecencyAllocatesNothing() {
    StreamLimits routes = StreamLimits.evicting(8).withRecency(StreamLimits.Recency.ROUTES);
    long plain = routeAllocation(model(StreamLimits.UNLIMITED), null);
    long stamped = routeAllocation(model(routes), null);
    long plainTokens = routeAllocation(model(StreamLimits.UNLIMITED), new int[] {1, 2});
    long stampedTokens = routeAllocation(model(routes), new int[] {1, 2});
    // Under 4 KB for 10,000 routes is nothing per route: the counter itself takes some hundred bytes.
    assertThat(java.util.List.of(plain, stamped, plainTokens, stampedTokens)).as("bytes allocated by 10,000 routes")
        .allMatch(bytes -> bytes < 4096);
  }
}
