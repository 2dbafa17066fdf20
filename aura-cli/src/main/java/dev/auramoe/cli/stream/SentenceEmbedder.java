package dev.auramoe.cli.stream;

import dev.auramoe.TextEmbedder;
import dev.auramoe.text.SentenceEncoder;
import dev.auramoe.text.Texts;

/**
 * The text columns of {@code aura stream} as sentence embeddings: all-MiniLM-L6-v2 ({@link
 * SentenceEncoder}), 384 unit-length features per text, the same bits for the same text.
 */
public final class SentenceEmbedder implements TextEmbedder, AutoCloseable {

  /** The model's name, as the summary gives it. */
  public static final String MODEL = "all-MiniLM-L6-v2";

  private final SentenceEncoder encoder;

  private SentenceEmbedder(SentenceEncoder encoder) {
    this.encoder = encoder;
  }

  /**
   * Loads the model (about a second) from its jar.
   *
   * @throws IllegalStateException when it cannot be loaded
   */
  public static SentenceEmbedder load() {
    return new SentenceEmbedder(SentenceEncoder.allMiniLmL6V2());
  }

  @Override
  public int dimension() {
    return encoder.dimension();
  }

  @Override
  public int vocabularySize() {
    return encoder.vocabularySize();
  }

  @Override
  public Embedded embed(String text) {
    return encoder.embed(text);
  }

  /**
   * What is wrong with a text, or null: what {@link Texts#check} refuses (empty, blank, over
   * {@link Texts#MAX_CHARS} chars, an unpaired surrogate) and, with a loaded encoder, a text without a
   * single token; the check a reader applies to every text as it reads it.
   *
   * @param embedder the loaded embedder, or null before it is loaded
   */
  public static String problem(SentenceEmbedder embedder, String text) {
    try {
      if (embedder == null) {
        Texts.check(text);
      } else {
        embedder.encoder.tokenIds(text);
      }
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  @Override
  public void close() {
    encoder.close();
  }
}
