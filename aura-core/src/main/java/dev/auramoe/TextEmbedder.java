package dev.auramoe;

import java.util.Objects;

/**
 * Turns a text into a router's inputs: its embedding (the input vector) and every token id (what the
 * spiking attention accumulates). The modules that read text without an encoder of their own (the
 * service, tabular streams) take one; the text module's {@code SentenceEncoder} is the implementation,
 * so that the core stays free of native libraries and models.
 */
public interface TextEmbedder {

  /** The number of values of an embedding: the input dimension of a model that reads them. */
  int dimension();

  /** The size of the token vocabulary: token ids lie in [0, vocabularySize()). */
  int vocabularySize();

  /**
   * The embedding and every token id of {@code text} (never cut).
   *
   * @throws IllegalArgumentException for a text the embedder refuses (empty, too long, malformed), saying why
   */
  Embedded embed(String text);

  /**
   * The index of the first unpaired surrogate of {@code s}, or -1 when there is none: a text with one is
   * not valid UTF-16 and has no UTF-8 form, so every reader of text refuses it (the text module's
   * checks, the service's before any embedder sees the text).
   */
  static int unpairedSurrogate(CharSequence s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (!Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
        continue;
      }
      return i;
    }
    return -1;
  }

  /**
   * A text's embedding and token ids.
   *
   * @param embedding {@link #dimension()} finite values
   * @param tokens every token id of the text, in order
   */
  record Embedded(float[] embedding, int[] tokens) {

    /** Checks for null. */
    public Embedded {
      Objects.requireNonNull(embedding, "embedding");
      Objects.requireNonNull(tokens, "tokens");
    }
  }
}
