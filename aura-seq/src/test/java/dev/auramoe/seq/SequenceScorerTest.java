package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.StreamCapacityException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Scoring live streams step by step: the whole sequence's prediction at every step, per-stream state, refusals. */
class SequenceScorerTest {

  private static final int STEPS = 14;

  @Test
  void eachStepGivesWhatPredictGivesForTheSequenceSoFar() throws IOException {
    for (String kind : SavedModels.kinds()) {
      SavedSequenceModel saved = SavedSequenceModel.fromBytes(SavedModels.trained(kind).toBytes());
      SequenceScorer scorer = new SequenceScorer(saved, 4, false);
      Random r = new Random(11);
      for (int seq = 0; seq < 3; seq++) {
        float[][] s = SavedModels.sequence(STEPS, r);
        String id = "s" + seq;
        for (int t = 0; t < STEPS; t++) {
          float[] got = scorer.score(id, Arrays.copyOfRange(s[0], t * SavedModels.RAW, (t + 1) * SavedModels.RAW),
              s[1][t]);
          float[] want = new float[3];
          saved.model().predict(SavedModels.asBatch(saved.preprocessing(), s[0], s[1], t + 1), want);
          for (int c = 0; c < 3; c++) {
            assertThat(got[c]).as(kind + " sequence " + seq + " step " + t + " output " + c)
                .isCloseTo(want[c], within(1e-5f));
          }
        }
        assertThat(scorer.steps(id)).isEqualTo(STEPS);
      }
    }
  }

  @Test
  void interleavedStreamsEachGetTheirOwnResult() throws IOException {
    SavedSequenceModel saved = SavedModels.trained("mr-moe");
    Random r = new Random(3);
    float[][] a = SavedModels.sequence(STEPS, r);
    float[][] b = SavedModels.sequence(STEPS, r);
    float[] aAlone = last(new SequenceScorer(saved, 2, false), "a", a, 0, STEPS);
    float[] bAlone = last(new SequenceScorer(saved, 2, false), "b", b, 0, STEPS);
    SequenceScorer both = new SequenceScorer(saved, 2, false);
    float[] aBoth = null;
    float[] bBoth = null;
    for (int t = 0; t < STEPS; t++) {
      aBoth = last(both, "a", a, t, t + 1);
      bBoth = last(both, "b", b, t, t + 1);
    }
    assertThat(aBoth).isEqualTo(aAlone);
    assertThat(bBoth).isEqualTo(bAlone);
    assertThat(aAlone).isNotEqualTo(bAlone);
    assertThat(both.streams()).isEqualTo(2);
  }

  @Test
  void aForgottenStreamStartsANewSequence() throws IOException {
    SavedSequenceModel saved = SavedModels.trained("lstm");
    Random r = new Random(4);
    float[][] a = SavedModels.sequence(STEPS, r);
    SequenceScorer scorer = new SequenceScorer(saved, 2, false);
    float[] first = last(scorer, "a", a, 0, 1);
    float[] later = last(scorer, "a", a, 0, 5);
    assertThat(later).isNotEqualTo(first);
    assertThat(scorer.forget("a")).isTrue();
    assertThat(scorer.forget("a")).isFalse();
    assertThat(scorer.streams()).isZero();
    assertThat(scorer.steps("a")).isZero();
    assertThat(last(scorer, "a", a, 0, 1)).isEqualTo(first);
  }

  @Test
  void badInputIsRefusedNamingTheStreamAndChangesNothing() throws IOException {
    SavedSequenceModel saved = SavedModels.trained("mr-moe-top1");
    Random r = new Random(5);
    float[][] a = SavedModels.sequence(STEPS, r);
    float[] clean = last(new SequenceScorer(saved, 2, false), "a", a, 0, STEPS);
    SequenceScorer scorer = new SequenceScorer(saved, 2, false);
    last(scorer, "a", a, 0, 6);
    assertThatThrownBy(() -> scorer.score("a", new float[] {1, 2}, 0.5f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream a").hasMessageContaining("3 features");
    assertThatThrownBy(() -> scorer.score("a", new float[] {1, Float.NaN, 2}, 0.5f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream a").hasMessageContaining("b");
    assertThatThrownBy(() -> scorer.score("a", new float[] {1, 2, 3}, -1f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream a").hasMessageContaining("gap");
    assertThatThrownBy(() -> scorer.score("new", new float[] {1, 2, 3}, Float.POSITIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream new");
    assertThat(scorer.streams()).as("the refused new stream was not opened").isEqualTo(1);
    assertThat(scorer.steps("a")).isEqualTo(6);
    assertThat(last(scorer, "a", a, 6, STEPS)).as("the refusals left the stream as it was").isEqualTo(clean);
  }

  @Test
  void atTheCapANewStreamIsRefusedOrEvictsTheLeastRecentlyScored() throws IOException {
    SavedSequenceModel saved = SavedModels.trained("cfc");
    float[] x = {1, 2, 3};
    SequenceScorer refusing = new SequenceScorer(saved, 2, false);
    refusing.score("a", x, Float.NaN);
    refusing.score("b", x, Float.NaN);
    assertThatThrownBy(() -> refusing.score("c", x, Float.NaN)).isInstanceOf(StreamCapacityException.class)
        .hasMessageContaining("stream c").hasMessageContaining("2 streams");
    assertThat(refusing.streams()).isEqualTo(2);
    refusing.score("a", x, 0.5f);
    assertThat(refusing.steps("a")).isEqualTo(2);

    SequenceScorer evicting = new SequenceScorer(saved, 2, true);
    evicting.score("a", x, Float.NaN);
    evicting.score("b", x, Float.NaN);
    evicting.score("a", x, 0.5f);
    evicting.score("c", x, Float.NaN);
    assertThat(evicting.streams()).isEqualTo(2);
    assertThat(evicting.evicted()).isEqualTo(1);
    assertThat(evicting.steps("b")).as("b was the least recently scored").isZero();
    assertThat(evicting.steps("a")).isEqualTo(2);
    assertThat(evicting.steps("c")).isEqualTo(1);
    assertThatThrownBy(() -> new SequenceScorer(saved, 0, true)).isInstanceOf(IllegalArgumentException.class);
  }

  /** Scores steps [from, to) of a sequence on a stream; returns the last outputs. */
  private static float[] last(SequenceScorer scorer, String id, float[][] s, int from, int to) {
    float[] out = null;
    for (int t = from; t < to; t++) {
      out = scorer.score(id, Arrays.copyOfRange(s[0], t * SavedModels.RAW, (t + 1) * SavedModels.RAW), s[1][t]);
    }
    return out;
  }
}
