package dev.auramoe.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.experts.AdaptiveExpert;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelIoTest {

  private static final ModelOptions OPTIONS = ModelOptions.of(3, 1);

  private static ShardResult result(int shard, long records, MixtureOfExperts m) {
    return new ShardResult(shard, records, 0, Snapshots.toBytes(m));
  }

  private static MixtureOfExperts learned(String stream, int steps, long seed) {
    MixtureOfExperts m = OPTIONS.build();
    m.ensureStream(stream);
    java.util.Random r = new java.util.Random(seed);
    float[] yHat = new float[1];
    for (int i = 0; i < steps; i++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      m.learn(stream, x, new float[] {x[0] - 2 * x[2]}, yHat);
    }
    return m;
  }

  @Test
  void oneShardIsThatShardsModelBitForBit() throws Exception {
    MixtureOfExperts m = learned("a", 200, 1);
    assertThat(Snapshots.digest(ModelIo.combine(List.of(result(0, 200, m))))).isEqualTo(Snapshots.digest(m));
  }

  @Test
  void severalShardsAverageTheLearnedWeightsByRecordsAndKeepEveryStream() throws Exception {
    MixtureOfExperts a = learned("a", 300, 1);
    MixtureOfExperts b = learned("b", 100, 2);
    MixtureOfExperts c = ModelIo.combine(List.of(result(1, 100, b), result(0, 300, a)));
    float[] ra = a.routerParameters();
    float[] rb = b.routerParameters();
    float[] rc = c.routerParameters();
    for (int i = 0; i < rc.length; i++) {
      assertThat(rc[i]).isEqualTo((float) (0.75 * ra[i] + 0.25 * rb[i]));
    }
    float[] ea = ((AdaptiveExpert) a.expert(0)).state();
    float[] eb = ((AdaptiveExpert) b.expert(0)).state();
    float[] ec = ((AdaptiveExpert) c.expert(0)).state();
    for (int i = 0; i < ec.length; i++) {
      assertThat(ec[i]).isEqualTo((float) (0.75 * ea[i] + 0.25 * eb[i]));
    }
    assertThat(c.streams()).containsExactly(MixtureOfExperts.DEFAULT_STREAM, "a", "b");
    assertThat(c.exportStream("a")).isEqualTo(a.exportStream("a"));
    assertThat(c.exportStream("b")).isEqualTo(b.exportStream("b"));
  }

  @Test
  void refusesAMissingShard() {
    MixtureOfExperts m = OPTIONS.build();
    assertThatThrownBy(() -> ModelIo.combine(List.of(result(0, 1, m), result(2, 1, m))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not shards 0..1");
  }
}
