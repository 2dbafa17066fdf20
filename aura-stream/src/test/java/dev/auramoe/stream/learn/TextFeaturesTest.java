package dev.auramoe.stream.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.TextEmbedder;
import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.eval.PrequentialEvaluation;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Text columns as features through a {@link TextEmbedder}: the layout, missing and refused texts, and learning. */
class TextFeaturesTest {

  /** Hashed bag of words, unit length: deterministic, and words of different classes land apart. */
  static final class HashedWords implements TextEmbedder {
    private final int dimension;
    int calls;

    HashedWords(int dimension) {
      this.dimension = dimension;
    }

    @Override
    public int dimension() {
      return dimension;
    }

    @Override
    public int vocabularySize() {
      return 1;
    }

    @Override
    public Embedded embed(String text) {
      float[] out = new float[dimension];
      if (text.isBlank()) {
        throw new IllegalArgumentException("text is blank");
      }
      calls++;
      float[] v = new float[dimension];
      for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
        if (!w.isEmpty()) {
          v[Math.floorMod(w.hashCode() * 0x9E3779B1, dimension)] += 1;
        }
      }
      double norm = 0;
      for (float x : v) {
        norm += x * x;
      }
      for (int i = 0; i < dimension; i++) {
        out[i] = norm == 0 ? 0 : (float) (v[i] / Math.sqrt(norm));
      }
      return new Embedded(out, new int[] {0});
    }
  }

  private static final Schema SCHEMA = new Schema("t", List.of(Attribute.numeric("a"), Attribute.text("note"),
      Attribute.nominal("n", List.of("x", "y")), Attribute.nominal("class", List.of("no", "yes"))), 3);

  @Test
  void aTextColumnIsTheEmbeddersFeaturesAtItsPlaceAndAMissingOneIsZeros() {
    HashedWords words = new HashedWords(16);
    FeatureEncoder enc = new FeatureEncoder(SCHEMA, words);
    assertThat(enc.dimension()).isEqualTo(1 + 16 + 2).isEqualTo(FeatureEncoder.dimension(SCHEMA, 16));
    Instance in = new Instance(SCHEMA);
    in.set(0, 3);
    in.setText(1, "red kettle");
    in.set(2, 1);
    float[] f = new float[19];
    java.util.Arrays.fill(f, 9f);
    enc.encode(in, f);
    float[] expected = words.embed("red kettle").embedding();
    assertThat(java.util.Arrays.copyOfRange(f, 1, 17)).containsExactly(expected);
    assertThat(f[0]).as("a numeric column before the text, centred on a mean of 0 so far").isEqualTo(3f);
    assertThat(new float[] {f[17], f[18]}).containsExactly(0f, 1f);
    in.setText(1, null);
    assertThat(in.isMissing(1)).isTrue();
    enc.encode(in, f);
    assertThat(java.util.Arrays.copyOfRange(f, 1, 17)).containsOnly(0f);
    in.setText(1, "  ");
    assertThatThrownBy(() -> enc.encode(in, f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text in column 'note': text is blank");
  }

  @Test
  void aSchemaWithTextNeedsAnEmbedder() {
    assertThatThrownBy(() -> new FeatureEncoder(SCHEMA)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the schema has text columns ('note') and no text embedder was given");
    assertThatThrownBy(() -> FeatureEncoder.dimension(SCHEMA)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StreamLearner.builder(SCHEMA).build()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StreamLearner.builder(SCHEMA).textEmbedder(new HashedWords(8)).build()
        .testThenTrain(new Instance(SCHEMA.size()))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("new Instance(schema)");
    assertThatThrownBy(() -> new Schema("t", List.of(Attribute.numeric("a"), Attribute.text("t")), 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a text column");
  }

  private static final String[][] WORDS = {
    {"broke", "refund", "damaged", "late"},
    {"love", "perfect", "great", "excellent"},
  };
  private static final String[] ITEMS = {"kettle", "lamp", "chair", "blender", "backpack", "phone case"};

  /** Reviews whose class shows only in their words; a number that is noise. */
  private static InstanceStream reviews(int n) {
    SplittableRandom r = new SplittableRandom(4);
    return new InstanceStream() {
      int i;

      @Override
      public Schema schema() {
        return SCHEMA;
      }

      @Override
      public boolean next(Instance into) {
        if (i++ >= n) {
          return false;
        }
        int y = r.nextInt(4) == 0 ? 1 : 0;
        String[] w = WORDS[y];
        into.set(0, r.nextGaussian());
        into.setText(1, "the " + ITEMS[r.nextInt(ITEMS.length)] + " " + w[r.nextInt(w.length)] + ", "
            + w[r.nextInt(w.length)] + " and " + w[r.nextInt(w.length)]);
        into.set(2, r.nextInt(2));
        into.set(3, y);
        return true;
      }
    };
  }

  @Test
  void theLearnerLearnsAClassThatShowsOnlyInTheText() throws Exception {
    HashedWords words = new HashedWords(32);
    PrequentialEvaluation.Result r = new PrequentialEvaluation(100, 100).run(reviews(600),
        StreamLearner.builder(SCHEMA).textEmbedder(words).build(), Long.MAX_VALUE, null);
    assertThat(words.calls).as("one embedding per instance").isEqualTo(600);
    assertThat(r.accuracy()).isGreaterThan(0.85);
    assertThat(r.ranking().positiveClass()).as("'yes' is a quarter of the instances").isEqualTo(1);
    assertThat(r.ranking().auroc()).isGreaterThan(0.95);
    assertThat(r.ranking().averagePrecision()).isGreaterThan(0.85);

    // The same stream with the text unread: nothing to learn from, a coin's ranking.
    TextEmbedder blind = new TextEmbedder() {
      @Override
      public int dimension() {
        return 32;
      }

      @Override
      public int vocabularySize() {
        return 1;
      }

      @Override
      public Embedded embed(String text) {
        return new Embedded(new float[32], new int[] {0});
      }
    };
    PrequentialEvaluation.Result none = new PrequentialEvaluation(100, 100).run(reviews(600),
        StreamLearner.builder(SCHEMA).textEmbedder(blind).build(), Long.MAX_VALUE, null);
    assertThat(none.ranking().auroc()).as("%s", none.ranking()).isBetween(0.35, 0.65);
  }
}
