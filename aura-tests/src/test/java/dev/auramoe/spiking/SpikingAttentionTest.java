package dev.auramoe.spiking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.testing.Props;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Spiking k-winners-take-all attention against a map-based reference of the documented rule. */
class SpikingAttentionTest {

  /** The documented step, on a plain map: decay, prune, spike, winners, focus. */
  static final class Reference {
    final AttentionConfig c;
    final Map<Integer, Float> acc = new HashMap<>();
    List<Integer> winners = List.of();
    float focus;

    Reference(AttentionConfig c) {
      this.c = c;
    }

    long step(int[] tokens) {
      long macs = acc.size() + tokens.length;
      acc.replaceAll((id, a) -> a * c.decay());
      acc.values().removeIf(a -> a < c.pruneBelow());
      for (int t : tokens) {
        acc.merge(t, 1f, Float::sum);
      }
      List<Integer> ids = new ArrayList<>(acc.keySet());
      ids.sort(Comparator.<Integer>comparingDouble(id -> -acc.get(id)).thenComparing(id -> id));
      winners = ids.subList(0, Math.min(c.winners(), ids.size()));
      float sum = 0f;
      for (int id : winners) {
        sum += acc.get(id);
      }
      focus = winners.isEmpty() ? 0f : Math.min(1f, sum / winners.size() * (1f - c.decay()));
      return macs;
    }
  }

  @Test
  void matchesTheReferenceStepByStep() {
    Props.forAll(1717, 150, g -> {
      AttentionConfig c = new AttentionConfig(g.oneOf(10, 1000, Integer.MAX_VALUE), g.intIn(1, 6),
          g.oneOf(0.7f, 0.3f, 0.95f, (float) g.doubleIn(0.05, 0.99)), g.oneOf(1f, 0f, 4f), g.oneOf(1e-3f, 0.2f, 0.05f));
      SpikingAttention a = new SpikingAttention(c);
      Reference ref = new Reference(c);
      int pool = Math.min(g.intIn(1, 40), c.vocabularySize());
      int base = c.vocabularySize() - pool;
      for (int t = 0; t < 60; t++) {
        int[] tokens = new int[g.intIn(0, 8)];
        for (int i = 0; i < tokens.length; i++) {
          tokens[i] = base + g.intIn(0, pool - 1);
        }
        a.validate(tokens, 0, tokens.length);
        assertThat(a.step(tokens, 0, tokens.length)).as("MACs: live accumulators + spikes").isEqualTo(ref.step(tokens));
        assertThat(a.activeCount()).isEqualTo(ref.acc.size());
        int[] ids = a.activeIds();
        float[] pot = a.activePotentials();
        for (int i = 0; i < ids.length; i++) {
          assertThat(pot[i]).as("potential of %d", ids[i]).isEqualTo(ref.acc.get(ids[i]));
          assertThat(a.potential(ids[i])).isEqualTo(pot[i]);
        }
        assertThat(a.winnerCount()).as("exactly min(k, active) winners").isEqualTo(Math.min(c.winners(), ref.acc.size()));
        assertThat(a.winners()).containsExactly(ref.winners.stream().mapToInt(Integer::intValue).toArray());
        assertThat(a.focus()).isCloseTo(ref.focus, within(1e-6f)).isBetween(0f, 1f);
        assertThat(a.gain()).isEqualTo(1f + c.gainStrength() * a.focus());
        assertThat(a.steps()).isEqualTo(t + 1);
      }
    });
  }

  @Test
  void decaysBySevenTenthsPerStepAndPrunesBelowTheThreshold() {
    SpikingAttention a = new SpikingAttention(AttentionConfig.of(100));
    assertThat(AttentionConfig.of(100).decay()).isEqualTo(0.7f);
    a.step(new int[] {42}, 0, 1);
    float expected = 1f;
    int empty = 0;
    while (0.7f * expected >= 1e-3f) {
      a.step(new int[0], 0, 0);
      expected *= 0.7f;
      empty++;
      assertThat(a.potential(42)).as("after %d empty steps", empty).isEqualTo(expected);
      assertThat(a.winners()).containsExactly(42);
    }
    assertThat(empty).as("0.7^19 >= 1e-3 > 0.7^20").isEqualTo(19);
    a.step(new int[0], 0, 0);
    assertThat(a.activeCount()).isZero();
    assertThat(a.potential(42)).isZero();
    assertThat(a.winnerCount()).isZero();
    assertThat(a.focus()).isZero();
    assertThat(a.gain()).isEqualTo(1f);
  }

  @Test
  void aTokenSpikingEveryStepReachesFullFocus() {
    SpikingAttention a = new SpikingAttention(new AttentionConfig(10, 1, 0.7f, 2f, 1e-3f));
    double expected = 0;
    for (int t = 0; t < 60; t++) {
      a.step(new int[] {3}, 0, 1);
      expected = 0.7 * expected + 1;
      assertThat((double) a.potential(3)).isCloseTo(expected, within(1e-5));
      assertThat((double) a.focus()).isCloseTo(Math.min(1, expected * 0.3), within(1e-6));
    }
    assertThat(a.focus()).isCloseTo(1f, within(1e-6f));
    assertThat(a.gain()).isCloseTo(3f, within(1e-5f));
  }

  @Test
  void tiesGoToTheLowerIdAndRepeatsInOneCallAddUp() {
    SpikingAttention a = new SpikingAttention(new AttentionConfig(100, 2, 0.7f, 1f, 1e-3f));
    a.step(new int[] {9, 3, 7}, 0, 3);
    assertThat(a.winners()).containsExactly(3, 7);
    a.step(new int[] {9, 9, 9, 50, 50}, 0, 5);
    assertThat(a.potential(9)).isEqualTo(0.7f + 3f);
    assertThat(a.potential(50)).isEqualTo(2f);
    assertThat(a.winners()).containsExactly(9, 50);
    assertThat(a.winnerPotentials()).containsExactly(3.7f, 2f);
    assertThat(a.focus()).isCloseTo((3.7f + 2f) / 2 * 0.3f, within(1e-6f));
    // only part of the array
    a.step(new int[] {1, 2, 60, 4}, 1, 3);
    assertThat(a.potential(60)).isEqualTo(1f);
    assertThat(a.potential(1)).isZero();
  }

  @Test
  void copyResetAndRestore() {
    SpikingAttention a = new SpikingAttention(AttentionConfig.of(1000));
    for (int t = 0; t < 7; t++) {
      a.step(new int[] {t, 500, 999}, 0, 3);
    }
    SpikingAttention c = a.copy();
    assertThat(c.activeIds()).containsExactly(a.activeIds());
    assertThat(c.activePotentials()).containsExactly(a.activePotentials());
    assertThat(c.winners()).containsExactly(a.winners());
    assertThat(c.focus()).isEqualTo(a.focus());
    assertThat(c.steps()).isEqualTo(7);
    c.step(new int[] {1}, 0, 1);
    assertThat(a.steps()).as("the copy is independent").isEqualTo(7);
    assertThatThrownBy(() -> c.restore(new int[] {1, 1000}, new float[] {1, 1}, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 1000 at position 1");
    assertThatThrownBy(() -> c.restore(new int[] {1}, new float[2], 3)).hasMessageContaining("differ in length");
    a.reset();
    assertThat(a.activeCount()).isZero();
    assertThat(a.winnerCount()).isZero();
    assertThat(a.steps()).isZero();
    assertThat(a.gain()).isEqualTo(1f);
  }

  @Test
  void validationNamesTheFirstBadTokenAndChangesNothing() {
    SpikingAttention a = new SpikingAttention(AttentionConfig.of(10));
    a.step(new int[] {1}, 0, 1);
    assertThatThrownBy(() -> a.validate(new int[] {1, 10, -1}, 0, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("token id 10 at position 1 is outside the vocabulary [0, 10)");
    assertThatThrownBy(() -> a.validate(new int[] {1}, 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(a.steps()).isEqualTo(1);
    assertThat(a.activeIds()).containsExactly(1);
  }
}
