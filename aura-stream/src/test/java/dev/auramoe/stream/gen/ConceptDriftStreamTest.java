package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Abrupt and gradual switching between two streams, nesting, reported drifts and schema checks. */
class ConceptDriftStreamTest {

  private static final Schema SCHEMA = new Schema("tags", List.of(Attribute.numeric("tag"),
      Attribute.nominal("class", List.of("a", "b"))), 1);

  @Test
  void anAbruptDriftSwitchesExactlyAtItsPosition() throws IOException {
    for (long width : new long[] {0, 1}) {
      ConceptDriftStream s = new ConceptDriftStream(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), 500, width,
          3);
      Instance row = new Instance(SCHEMA);
      for (int t = 0; t < 2000; t++) {
        assertThat(s.next(row)).isTrue();
        assertThat(row.value(0)).as("instance %d, width %d", t, width).isEqualTo(t < 500 ? 1 : 2);
      }
      assertThat(s.driftPoints()).containsExactly(500L);
      assertThat(s.drifts().getFirst().isAbrupt()).isTrue();
    }
  }

  @Test
  void onlyTheStreamDrawnFromAdvances() throws IOException {
    TagStream a = new TagStream(SCHEMA, 1);
    TagStream b = new TagStream(SCHEMA, 2);
    ConceptDriftStream s = ConceptDriftStream.abrupt(a, b, 300);
    Instance row = new Instance(SCHEMA);
    for (int t = 0; t < 1000; t++) {
      s.next(row);
    }
    assertThat(a.produced).isEqualTo(300);
    assertThat(b.produced).isEqualTo(700);
  }

  @Test
  void aGradualDriftDrawsTheSecondStreamWithTheSigmoidsProbability() throws IOException {
    long p = 50_000;
    long w = 10_000;
    ConceptDriftStream s = new ConceptDriftStream(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), p, w, 11);
    Instance row = new Instance(SCHEMA);
    int[] second = new int[100];
    for (int t = 0; t < 100_000; t++) {
      s.next(row);
      if (row.value(0) == 2) {
        second[t / 1000]++;
      }
    }
    for (int bin = 0; bin < 100; bin++) {
      double expected = 0;
      for (int t = bin * 1000; t < bin * 1000 + 1000; t++) {
        expected += s.probabilityOfSecond(t);
      }
      // binomial standard deviation at most sqrt(1000 / 4) ~ 16; 5 of them
      assertThat((double) second[bin]).as("bin %d", bin).isCloseTo(expected, within(80.0));
    }
    assertThat(s.probabilityOfSecond(p)).isEqualTo(0.5);
    assertThat(s.probabilityOfSecond(p + w / 2)).isCloseTo(1 / (1 + Math.exp(-2)), within(1e-12));
    int nearP = second[49] + second[50];
    assertThat(nearP / 2000.0).isCloseTo(0.5, within(0.06));
    assertThat(second[0]).isZero();
    assertThat(second[99]).isEqualTo(1000);
  }

  @Test
  void nestedDriftsReportEveryPositionInStreamTime() throws IOException {
    ConceptDriftStream inner = ConceptDriftStream.abrupt(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), 100);
    ConceptDriftStream middle = ConceptDriftStream.abrupt(inner, new TagStream(SCHEMA, 3), 250);
    ConceptDriftStream later = ConceptDriftStream.abrupt(new TagStream(SCHEMA, 4), new TagStream(SCHEMA, 5), 50);
    ConceptDriftStream outer = new ConceptDriftStream(middle, later, 400, 0, 1);
    assertThat(outer.driftPoints()).containsExactly(100L, 250L, 400L, 450L);
    Instance row = new Instance(SCHEMA);
    for (int t = 0; t < 600; t++) {
      outer.next(row);
      int expected = t < 100 ? 1 : t < 250 ? 2 : t < 400 ? 3 : t < 450 ? 4 : 5;
      assertThat(row.value(0)).as("instance %d", t).isEqualTo(expected);
    }
    LimitedStream limited = outer.limit(300);
    assertThat(limited.driftPoints()).containsExactly(100L, 250L);
  }

  @Test
  void driftsOfTheFirstStreamAfterThePositionAreNeverReachedAndNotReported() {
    ConceptDriftStream inner = ConceptDriftStream.abrupt(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), 900);
    ConceptDriftStream outer = ConceptDriftStream.abrupt(inner, new TagStream(SCHEMA, 3), 500);
    assertThat(outer.driftPoints()).containsExactly(500L);
  }

  @Test
  void streamsWithDifferentColumnsOrTargetsAreRefused() {
    Schema other = new Schema("tags", List.of(Attribute.numeric("tag"),
        Attribute.nominal("class", List.of("a", "b", "c"))), 1);
    assertThatThrownBy(() -> ConceptDriftStream.abrupt(new TagStream(SCHEMA, 1), new TagStream(other, 2), 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same columns and target");
    assertThatThrownBy(() -> ConceptDriftStream.abrupt(new SeaGenerator(1, 1), new LedGenerator(1), 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConceptDriftStream(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), -1, 1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position");
    assertThatThrownBy(() -> new ConceptDriftStream(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), 5, -2, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("width");
  }

  @Test
  void theRelationNameMayDifferButTheSchemaIsTheFirstStreams() {
    Schema renamed = new Schema("other", SCHEMA.attributes(), 1);
    ConceptDriftStream s = ConceptDriftStream.abrupt(new TagStream(SCHEMA, 1), new TagStream(renamed, 2), 10);
    assertThat(s.schema()).isEqualTo(SCHEMA);
  }

  @Test
  void theSameSeedGivesTheSameGradualDraws() throws IOException {
    double[] a = draws(5);
    assertThat(draws(5)).containsExactly(a);
    assertThat(draws(6)).isNotEqualTo(a);
  }

  private static double[] draws(long seed) throws IOException {
    ConceptDriftStream s = new ConceptDriftStream(new TagStream(SCHEMA, 1), new TagStream(SCHEMA, 2), 500, 400,
        seed);
    Instance row = new Instance(SCHEMA);
    double[] out = new double[1000];
    for (int t = 0; t < out.length; t++) {
      s.next(row);
      out[t] = row.value(0);
    }
    return out;
  }
}
