package dev.auramoe.stream.learn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.drift.Adwin;
import dev.auramoe.stream.drift.DriftDetector;
import dev.auramoe.stream.gen.Generators;
import dev.auramoe.stream.gen.SeaGenerator;
import dev.auramoe.stream.learn.StreamLearner.DriftResponse;
import dev.auramoe.stream.learn.StreamLearner.DriftSignal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drift detection wired to the learner: what it watches, what it does, and when it keeps quiet. */
class DriftResponseTest {

  private static StreamLearner run(InstanceStream s, StreamLearner l) throws Exception {
    Instance in = new Instance(s.schema());
    while (s.next(in)) {
      l.testThenTrain(in);
    }
    return l;
  }

  @Test
  void anAbruptDriftIsDetectedSoonAfterItHappensAndAStationaryStreamRaisesNoAlarm() throws Exception {
    InstanceStream led = Generators.create("led", 60_000);
    StreamLearner l = run(led, StreamLearner.builder(led.schema()).driftDetector(() -> Adwin.increasesOnly(0.01))
        .build());
    // LED swaps 5 segment columns at 30,000.
    assertThat(l.detections()).isNotEmpty().allSatisfy(d -> assertThat(d).isBetween(30_000L, 31_000L));
    InstanceStream calm = new SeaGenerator(1, 3).limit(60_000);
    StreamLearner q = run(calm, StreamLearner.builder(calm.schema())
        .driftDetector(() -> Adwin.increasesOnly(0.01)).build());
    assertThat(q.detections()).isEmpty();
  }

  /** A detector that fires at fixed instance counts, to test the learner's side alone. */
  static final class Scripted implements DriftDetector {
    private final List<Long> at;
    private long n;
    private long detections;

    Scripted(Long... at) {
      this.at = List.of(at);
    }

    @Override
    public boolean update(double value) {
      boolean d = at.contains(++n);
      detections += d ? 1 : 0;
      return d;
    }

    @Override
    public void reset() {}

    @Override
    public long detections() {
      return detections;
    }

    @Override
    public String name() {
      return "scripted";
    }
  }

  @Test
  void aDetectionReplacesTheLeastUsedExpertAndTheQuietPeriodSwallowsTheNextOnes() throws Exception {
    InstanceStream sea = new SeaGenerator(1, 4).limit(3_000);
    StreamLearner l = StreamLearner.builder(sea.schema()).experts(4).driftSignal(DriftSignal.LEARNER)
        .driftDetector(() -> new Scripted(2_000L, 2_500L, 2_999L)).build();
    Instance in = new Instance(sea.schema());
    float[][] before = new float[4][];
    // The learner's notion of recent use, recomputed from the experts it reports: decay 0.999 per
    // labelled instance, +1 per slot.
    double[] use = new double[4];
    int[] chosen = new int[4];
    for (int i = 0; i < 3_000 && sea.next(in); i++) {
      if (i == 1_999) {
        for (int e = 0; e < 4; e++) {
          before[e] = ((AdaptiveExpert) l.model().expert(e)).state();
        }
      }
      l.testThenTrain(in);
      for (int e = 0; e < 4; e++) {
        use[e] *= 0.999;
      }
      int k = l.lastExperts(chosen);
      for (int j = 0; j < k; j++) {
        use[chosen[j]] += 1;
      }
      if (i == 1_999) {
        assertThat(l.driftAtLastInstance()).isTrue();
        int least = 0;
        for (int e = 1; e < 4; e++) {
          if (use[e] < use[least]) {
            least = e;
          }
        }
        int zeroed = 0;
        for (int e = 0; e < 4; e++) {
          float[] now = ((AdaptiveExpert) l.model().expert(e)).state();
          boolean allZero = true;
          for (float v : now) {
            allZero &= v == 0f;
          }
          if (allZero) {
            zeroed++;
            assertThat(e).as("the least-used expert of late (recent use %s)", java.util.Arrays.toString(use))
                .isEqualTo(least);
            assertThat(before[e]).as("a trained expert was replaced").isNotEqualTo(now);
          }
        }
        assertThat(zeroed).isEqualTo(1);
        assertThat(l.model().routerLearningRate()).isGreaterThan(1f);
      }
    }
    // 2,500 fell in the quiet period; 2,999 too (1,000 instances after 2,000).
    assertThat(l.detections()).containsExactly(2_000L);
    assertThat(l.model().routerLearningRate()).as("the boost ended after 500 instances").isEqualTo(1f);
  }

  @Test
  void observingOnlyChangesNothingInTheModel() throws Exception {
    InstanceStream a = Generators.create("led", 40_000);
    InstanceStream b = Generators.create("led", 40_000);
    StreamLearner watched = run(a, StreamLearner.builder(a.schema()).driftDetector(() -> Adwin.increasesOnly(0.01))
        .driftResponse(DriftResponse.NONE).build());
    StreamLearner plain = run(b, StreamLearner.builder(b.schema()).build());
    assertThat(watched.detections()).isNotEmpty();
    assertThat(watched.model().digest()).isEqualTo(plain.model().digest());
  }

  @Test
  void boostingTheRouterAloneReplacesNoExpert() throws Exception {
    InstanceStream sea = new SeaGenerator(1, 5).limit(1_200);
    StreamLearner l = StreamLearner.builder(sea.schema()).driftSignal(DriftSignal.LEARNER)
        .driftResponse(DriftResponse.BOOST_ROUTER).driftDetector(() -> new Scripted(1_000L)).build();
    Instance in = new Instance(sea.schema());
    for (int i = 0; i < 1_200 && sea.next(in); i++) {
      l.testThenTrain(in);
      if (i == 999) {
        assertThat(l.model().routerLearningRate()).isEqualTo(DriftResponse.MAX_ROUTER_RATE);
        for (int e = 0; e < 4; e++) {
          float[] w = ((AdaptiveExpert) l.model().expert(e)).state();
          boolean allZero = true;
          for (float v : w) {
            allZero &= v == 0f;
          }
          assertThat(allZero).as("expert %d kept its weights", e).isFalse();
        }
      }
    }
    assertThat(l.detections()).containsExactly(1_000L);
  }
}
