package dev.auramoe.flink.ep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.flink.LearnRecord;
import dev.auramoe.flink.LocalRun;
import dev.auramoe.flink.ModelOptions;
import dev.auramoe.flink.Shard;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The route stage reads what its combine stage published only after waiting for it. */
class RouteStageTest {

  private static final ModelOptions OPTIONS = ModelOptions.of(3, 1);
  private static final EpOptions EP = new EpOptions(4, 2, 0);

  /** Records every call, and answers as a board that has finished every epoch. */
  private static final class Calls implements RouterVersions {
    final List<String> calls = new ArrayList<>();

    @Override
    public Version await(int shard, long epoch) {
      calls.add("await " + epoch);
      return null;
    }

    @Override
    public float[] recentErrors(int shard, String stream, long epoch) {
      calls.add("recent " + stream + " " + epoch);
      return null;
    }
  }

  private static LearnRecord record(long seq) {
    LearnRecord r = new LearnRecord("s", new float[] {1, 2, 3}, new float[] {1});
    r.seq = seq;
    return r;
  }

  @Test
  void aRestoredStageAwaitsItsEpochBeforeItReadsAnything() throws Exception {
    // A stage that had applied the version of epoch 5, restored: its first record (epoch 6) must
    // wait for epoch 5's end, on a board its combine stage may not have filled yet.
    RouteStage fresh = RouteStage.fresh(0, OPTIONS, null, EP);
    LocalRun.MapStates states = new LocalRun.MapStates();
    fresh.shard().flush(states);
    Shard shard = Shard.fromBytes(0, fresh.shard().toBytes(), null);
    RouteStage restored = RouteStage.restore(shard, new long[] {5, 0, 0}, EP);
    Calls calls = new Calls();
    restored.route(record(6 * 4 + 1), states, calls, d -> {}, t -> {});
    assertThat(calls.calls).containsExactly("await 5", "recent s 5");

    // Within an epoch it waits once.
    calls.calls.clear();
    restored.route(record(6 * 4 + 2), states, calls, d -> {}, t -> {});
    assertThat(calls.calls).containsExactly("recent s 5");
  }

  @Test
  void everyExpertComputesEveryRecordOnceWhenTheRouterReadsRecentErrors() throws Exception {
    RouteStage stage = RouteStage.fresh(0, OPTIONS, null, EP);
    List<Dispatch> sent = new ArrayList<>();
    List<Routed> routed = new ArrayList<>();
    stage.route(record(0), new LocalRun.MapStates(), new Calls(), sent::add, routed::add);
    int experts = routed.getFirst().probs.length;
    List<Integer> all = new ArrayList<>();
    int learning = 0;
    for (Dispatch d : sent) {
      assertThat(d.instance).isIn(0, 1);
      for (int j = 0; j < d.experts.length; j++) {
        all.add(d.experts[j]);
        assertThat(d.experts[j] % EP.instances()).as("spilling is off: each expert's home").isEqualTo(d.instance);
        if (j < d.learning) {
          assertThat(routed.getFirst().experts).contains(d.experts[j]);
        }
      }
      learning += d.learning;
    }
    assertThat(all).hasSize(experts).doesNotHaveDuplicates();
    assertThat(learning).isEqualTo(routed.getFirst().experts.length);
  }
}
