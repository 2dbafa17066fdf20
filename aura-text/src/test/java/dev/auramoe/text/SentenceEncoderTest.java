package dev.auramoe.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SentenceEncoderTest {

  private static final String FIRST_SENTENCE = "The river flooded the old mill after three days of heavy rain.";

  private static SentenceEncoder encoder;

  @BeforeAll
  static void load() {
    encoder = SentenceEncoder.allMiniLmL6V2();
  }

  @AfterAll
  static void free() {
    encoder.close();
  }

  @Test
  void theDefaultIsAllMiniLmWithItsOwnSizes() {
    assertThat(encoder.dimension()).isEqualTo(384);
    assertThat(encoder.encoderTokenLimit()).isEqualTo(128);
    assertThat(encoder.vocabularySize()).isEqualTo(30_522);
  }

  @Test
  void embeddingsHaveTheModelsDimensionAndUnitLength() {
    for (String text : new String[] {"hello", FIRST_SENTENCE, longText()}) {
      float[] e = encoder.encode(text);
      assertThat(e).hasSize(encoder.dimension());
      double norm = 0;
      for (float v : e) {
        assertThat(Float.isFinite(v)).isTrue();
        norm += (double) v * v;
      }
      assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void theSameTextGivesTheSameBitsFromOneEncoderAndFromAnother() {
    String text = "Which expert should answer a question about the French revolution?";
    int[] first = bits(encoder.encode(text));
    encoder.encode("something else in between, of another length entirely, to change any state");
    assertThat(bits(encoder.encode(text))).isEqualTo(first);
    try (SentenceEncoder other = SentenceEncoder.allMiniLmL6V2()) {
      assertThat(bits(other.encode(text))).isEqualTo(first);
      assertThat(other.tokenIds(text)).isEqualTo(encoder.tokenIds(text));
    }
  }

  @Test
  void paraphrasesAreCloserThanUnrelatedSentences() {
    float[] a = encoder.encode("How do I reset my password?");
    float[] paraphrase = encoder.encode("I forgot my password, how can I change it?");
    float[] unrelated = encoder.encode("The recipe needs two eggs and a cup of flour.");
    assertThat(cosine(a, paraphrase)).isGreaterThan(cosine(a, unrelated) + 0.3);
  }

  @Test
  void tokenIdsAreEveryTokenOfALongTextNeverCutAtTheEncodersLimit() {
    String text = longText();
    int[] all = encoder.tokenIds(text);
    int[] first = encoder.tokenIds(FIRST_SENTENCE);
    assertThat(text.split(" ")).hasSizeGreaterThanOrEqualTo(400);
    assertThat(all.length).isGreaterThan(3 * encoder.encoderTokenLimit());
    assertThat(Arrays.copyOf(all, first.length)).isEqualTo(first);
    assertThat(Arrays.stream(all).min().orElseThrow()).isNotNegative();
    assertThat(Arrays.stream(all).max().orElseThrow()).isLessThan(encoder.vocabularySize());
    // No [CLS] (101) or [SEP] (102): only the text's own tokens.
    assertThat(first).doesNotContain(101, 102);
  }

  @Test
  void theEncoderReadsOnlyTheFirstTokensUpToItsLimit() {
    String head = longText();
    int seen = encoder.encoderTokenLimit() - 2; // [CLS] and [SEP] take two of its places
    assertThat(encoder.tokenIds(head).length).isGreaterThan(seen);
    // Tails past the limit change nothing; the same change inside the limit does.
    assertThat(bits(encoder.encode(head + " Cats sleep all day."))).isEqualTo(bits(encoder.encode(
        head + " Stock markets fell sharply today.")));
    assertThat(bits(encoder.encode("Cats sleep all day. " + head))).isNotEqualTo(bits(encoder.encode(
        "Stock markets fell sharply today. " + head)));
  }

  @Test
  void badTextIsRefusedAndTheEncoderStillWorks() {
    float[] before = encoder.encode(FIRST_SENTENCE);
    String[] bad = {null, "", "   \n", "x".repeat(Texts.MAX_CHARS + 1), "half a pair \uD83D here", "\u0001\u0002"};
    for (String text : bad) {
      assertThatThrownBy(() -> encoder.encode(text)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("text ");
      assertThatThrownBy(() -> encoder.tokenIds(text)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("text ");
    }
    assertThatThrownBy(() -> encoder.tokenIds("\u0001\u0002")).hasMessageContaining("no token");
    assertThat(bits(encoder.encode(FIRST_SENTENCE))).isEqualTo(bits(before));
  }

  @Test
  void aClosedEncoderRefusesEveryCall() {
    SentenceEncoder e = SentenceEncoder.allMiniLmL6V2();
    assertThat(e.tokenIds("still open")).isNotEmpty();
    e.close();
    e.close();
    assertThatThrownBy(() -> e.encode("hello")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> e.tokenIds("hello")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  /** About 420 words: the first sentence, then others drawn in a fixed order. */
  private static String longText() {
    String[] sentences = {
        "Engineers inspected the bridge and found cracks in two of its supports.",
        "The committee postponed its vote until the budget figures were checked.",
        "A small bakery on the corner sells bread that is still warm at dawn.",
        "Astronomers measured the distance to the galaxy with a new technique.",
        "The orchestra rehearsed the second movement until it sounded effortless."};
    StringBuilder b = new StringBuilder(FIRST_SENTENCE);
    for (int i = 0; b.toString().split(" ").length < 420; i++) {
      b.append(' ').append(sentences[(i * 3) % sentences.length]);
    }
    return b.toString();
  }

  /** The raw bits of each value, for comparisons that must be exact. */
  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void asATextEmbedderItGivesTheSameEmbeddingAndTokens() {
    String text = "An encoder is also the core's text embedder.";
    dev.auramoe.TextEmbedder embedder = encoder;
    dev.auramoe.TextEmbedder.Embedded e = embedder.embed(text);
    assertThat(bits(e.embedding())).isEqualTo(bits(encoder.encode(text)));
    assertThat(e.tokens()).isEqualTo(encoder.tokenIds(text));
    EncodedText t = encoder.encodeText(text);
    assertThat(t.pieces()).hasSize(t.tokens().length).contains("text", "##bed");
    assertThatThrownBy(() -> embedder.embed("")).isInstanceOf(IllegalArgumentException.class);
  }
}
