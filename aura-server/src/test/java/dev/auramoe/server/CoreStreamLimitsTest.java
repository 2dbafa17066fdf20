package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.auramoe.StreamCapacityException;
import dev.auramoe.StreamLimits;
import dev.auramoe.server.model.ExpertSpec;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.model.Refusal;
import dev.auramoe.server.persist.DataStore;
import dev.auramoe.server.wal.WalOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bound on a model's streams is the core's: once recovery is over every model carries
 * {@link StreamLimits} of its cap, so an open that does not go through the server's path is refused
 * by the model itself; while the log is replayed the models carry none (the log evicts only where it
 * logged an eviction), and the limits follow the model through expert changes and restores, whose
 * parameters change the cap.
 */
class CoreStreamLimitsTest {

  @TempDir
  Path tmp;

  private static final ModelSpec SPEC = new ModelSpec("m", 2, 1, 2, 1, 4, 1, 0.5, 0.5, 1.0, 64, 0.9);

  private static StreamLimits expected(int cap, Duration idle) {
    return idle == null ? StreamLimits.refusing(cap)
        : StreamLimits.evicting(cap).withMinIdle(idle.toNanos());
  }

  @Test
  void theCoreRefusesAnOpenBeyondTheCapOnceRecoveryIsOverAndReplayEvictsNothingOfItsOwn() throws Exception {
    AtomicLong clock = new AtomicLong();
    Path data = tmp.resolve("data");
    ServerLimits four = ServerLimits.DEFAULT.withMaxStreams(4).withStreamIdleEviction(Duration.ofSeconds(5));
    try (ModelRegistry registry = new ModelRegistry(four, ModelRegistry.parameterBudget(), clock::get);
        DataStore store = DataStore.open(data, registry, WalOptions.DEFAULTS, Long.MAX_VALUE)) {
      ModelEntry e = registry.create(SPEC);
      assertThat(e.model().streamLimits()).isEqualTo(expected(4, Duration.ofSeconds(5)));
      for (String s : List.of("a", "b", "c")) {
        e.openStream(s);
      }
      StreamCapacityException bypass =
          catchThrowableOfType(StreamCapacityException.class, () -> e.model().openStream("x", clock.get()));
      assertThat(bypass.maxStreams()).isEqualTo(4);
      assertThat(e.streamCount()).isEqualTo(4);
    }
    // A lower cap at the restart, without eviction: the replay opens every logged stream, and only then
    // do the limits bound the model.
    ServerLimits two = four.withMaxStreams(2).withStreamIdleEviction(null);
    try (ModelRegistry registry = new ModelRegistry(two, ModelRegistry.parameterBudget(), clock::get);
        DataStore store = DataStore.open(data, registry, WalOptions.DEFAULTS, Long.MAX_VALUE)) {
      ModelEntry e = registry.get("m");
      assertThat(e.streamCount()).as("the replay evicted nothing").isEqualTo(4);
      assertThat(e.evictedStreams()).isZero();
      assertThat(e.model().streamLimits()).isEqualTo(expected(2, null));
      StreamCapacityException bypass =
          catchThrowableOfType(StreamCapacityException.class, () -> e.model().openStream("x", clock.get()));
      assertThat(bypass.retryAfter()).as("this server does not evict").isEqualTo(-1);
      Refusal refused = catchThrowableOfType(Refusal.class, () -> e.openStream("y"));
      assertThat(refused.kind()).isEqualTo(Refusal.Kind.CONFLICT);
      assertThat(refused.getMessage()).contains("holds 4 open streams, more than its most of 2")
          .contains("this server does not evict idle streams");
      registry.enforceBudget(false);
      assertThat(e.model().streamLimits()).as("while a log is replayed").isEqualTo(StreamLimits.UNLIMITED);
      registry.enforceBudget(true);
      assertThat(e.model().streamLimits()).isEqualTo(expected(2, null));
    }
  }

  /**
   * The cap follows the model's parameters: an added expert lowers it, and a restore to a snapshot
   * from before raises it again; each new model gets limits of its own cap, and the count of evicted
   * streams goes on across the restore.
   */
  @Test
  void theLimitsFollowTheModelThroughExpertChangesAndRestores() throws Exception {
    AtomicLong clock = new AtomicLong();
    long second = 1_000_000_000L;
    ServerLimits limits = ServerLimits.DEFAULT.withMaxParameters(410).withStreamIdleEviction(Duration.ofSeconds(1));
    try (ModelRegistry registry = new ModelRegistry(limits, ModelRegistry.parameterBudget(), clock::get);
        DataStore store = DataStore.open(tmp.resolve("changes"), registry, WalOptions.DEFAULTS, Long.MAX_VALUE)) {
      ModelEntry e = registry.create(SPEC);
      int cap = e.streamCap();
      assertThat(e.model().streamLimits()).isEqualTo(expected(cap, Duration.ofSeconds(1)));
      for (int i = 1; i < cap; i++) {
        e.openStream("s" + i);
      }
      clock.addAndGet(2 * second);
      e.openStream("t"); // evicts s1
      assertThat(e.evictedStreams()).isEqualTo(1);
      store.snapshot("m");
      e.closeStream("t");
      e.addExpert(new ExpertSpec("more", "nlms", 0.5, ExpertSpec.DEFAULT_LAMBDA, ExpertSpec.DEFAULT_DELTA));
      int lower = e.streamCap();
      assertThat(lower).isLessThan(cap);
      assertThat(e.model().streamLimits()).as("after an expert was added")
          .isEqualTo(expected(lower, Duration.ofSeconds(1)));
      store.restore("m");
      assertThat(e.streamCap()).isEqualTo(cap);
      assertThat(e.model().streamLimits()).as("after a restore").isEqualTo(expected(cap, Duration.ofSeconds(1)));
      assertThat(e.streamCount()).isEqualTo(cap);
      assertThat(e.model().streamsToEvict(clock.get())).as("the model at its cap").containsExactly("s2");
      assertThat(e.evictedStreams()).as("counted across the restore").isEqualTo(1);
      clock.addAndGet(2 * second);
      e.openStream("u");
      assertThat(e.evictedStreams()).isEqualTo(2);
      assertThat(e.model().hasStream("s2")).isFalse();
    }
  }

  /**
   * At its cap a served model evicts only what the log records: an open that reaches the model
   * directly, where its limits would evict an idle stream, fails and evicts nothing, so a restart
   * rebuilds the same streams; the same open through the server evicts and logs.
   */
  @Test
  void anOpenThatBypassesTheServerEvictsNothingTheLogDoesNotRecord() throws Exception {
    AtomicLong clock = new AtomicLong();
    Path data = tmp.resolve("bypass");
    ServerLimits three = ServerLimits.DEFAULT.withMaxStreams(3).withStreamIdleEviction(Duration.ZERO);
    String digest;
    try (ModelRegistry registry = new ModelRegistry(three, ModelRegistry.parameterBudget(), clock::get);
        DataStore store = DataStore.open(data, registry, WalOptions.DEFAULTS, Long.MAX_VALUE)) {
      ModelEntry e = registry.create(SPEC);
      e.openStream("a");
      e.openStream("b");
      clock.addAndGet(1_000);
      assertThat(e.model().streamsToEvict(clock.get())).as("the model would evict").containsExactly("a");
      IllegalStateException bypass =
          catchThrowableOfType(IllegalStateException.class, () -> e.model().openStream("x", clock.get()));
      assertThat(bypass).hasMessageContaining("stream 'a' of model 'm' would be evicted without a STREAM_EVICT"
          + " record");
      assertThat(e.model().streams()).containsExactly("default", "a", "b");
      assertThat(e.evictedStreams()).isZero();
      e.openStream("y");
      assertThat(e.model().streams()).containsExactlyInAnyOrder("default", "b", "y");
      assertThat(e.evictedStreams()).isEqualTo(1);
      digest = e.model().digest();
    }
    try (ModelRegistry registry = new ModelRegistry(three, ModelRegistry.parameterBudget(), clock::get);
        DataStore store = DataStore.open(data, registry, WalOptions.DEFAULTS, Long.MAX_VALUE)) {
      ModelEntry e = registry.get("m");
      assertThat(e.model().streams()).containsExactlyInAnyOrder("default", "b", "y");
      assertThat(e.model().digest()).isEqualTo(digest);
    }
  }
}
