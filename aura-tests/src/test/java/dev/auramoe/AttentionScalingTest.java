package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import dev.auramoe.testing.Models;
import java.lang.reflect.Field;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Per-call cost and memory of spiking attention do not grow with the vocabulary. */
class AttentionScalingTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  private static MixtureOfExperts model(int vocabulary) {
    return MixtureOfExperts.builder(4, 1).experts(Experts.nlms("e", 4, 4, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(16)).attention(AttentionConfig.of(vocabulary)).seed(8).build();
  }

  @Test
  void theCostOfACallDoesNotDependOnTheVocabulary() {
    MixtureOfExperts small = model(1_000);
    MixtureOfExperts huge = model(5_000_000);
    Random r = new Random(4);
    RouteBuffer a = small.newRouteBuffer();
    RouteBuffer b = huge.newRouteBuffer();
    for (int t = 0; t < 200; t++) {
      float[] x = {(float) r.nextGaussian(), 1, 0, -1};
      int[] tokens = {r.nextInt(1000), r.nextInt(1000), r.nextInt(50), 999};
      small.route(S, x, Float.NaN, tokens, a);
      huge.route(S, x, Float.NaN, tokens, b);
      EnergyReport es = small.lastCallEnergy();
      EnergyReport eh = huge.lastCallEnergy();
      assertThat(eh.macs()).as("call %d", t).containsExactly(es.macs());
      assertThat(es.macs(Component.ATTENTION)).isPositive();
      assertThat(b.toDecision()).isEqualTo(a.toDecision());
    }
    assertThat(huge.cumulativeEnergy().macs()).containsExactly(small.cumulativeEnergy().macs());
  }

  @Test
  void aFiftyMillionTokenVocabularyBuildsAndRoutesInASmallHeap() throws Exception {
    // The suite runs with -Xmx2g; an O(vocabulary) table per stream (50M floats = 200 MB, times
    // streams and copies) would not fit, and its zeroing alone would dominate these calls.
    MixtureOfExperts m = model(50_000_000);
    for (int s = 0; s < 8; s++) {
      m.openStream("s" + s);
    }
    Random r = new Random(5);
    RouteBuffer b = m.newRouteBuffer();
    for (int t = 0; t < 2_000; t++) {
      int[] tokens = new int[8];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = 49_999_999 - r.nextInt(50_000_000);
      }
      m.route("s" + (t % 8), new float[] {1, 0, 0, 1}, Float.NaN, tokens, b);
      Models.assertValid(b, 2, 4);
    }
    for (int s = 0; s < 8; s++) {
      SpikingAttention a = m.attention("s" + s);
      // Pruning bounds the live set by the tokens of the last ~20 calls of that stream.
      assertThat(a.activeCount()).isLessThanOrEqualTo(20 * 8);
      assertThat(storage(a)).as("storage of stream s%d in array slots", s).isLessThan(4_096);
    }
    assertThat(Snapshots.toBytes(m).length).as("and so does the snapshot").isLessThan(64 * 1024);
    MixtureOfExperts maxVocab = model(Integer.MAX_VALUE);
    maxVocab.route(S, new float[] {1, 2, 3, 4}, Float.NaN, new int[] {Integer.MAX_VALUE - 1, 0}, b);
    assertThat(maxVocab.attention(S).activeIds()).containsExactlyInAnyOrder(Integer.MAX_VALUE - 1, 0);
  }

  /** Total length of every array a SpikingAttention holds (its whole storage). */
  private static long storage(SpikingAttention a) throws IllegalAccessException {
    long total = 0;
    for (Field f : SpikingAttention.class.getDeclaredFields()) {
      if (f.getType().isArray()) {
        f.setAccessible(true);
        total += java.lang.reflect.Array.getLength(f.get(a));
      }
    }
    return total;
  }
}
