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
