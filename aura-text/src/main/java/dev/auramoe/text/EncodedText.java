package dev.auramoe.text;

import java.util.Arrays;
import java.util.Objects;

/**
 * A text as a router reads it: its sentence embedding (the router's input), every token id (what the
 * spiking attention accumulates) and each token's text, aligned with the ids (for explanations).
 * {@link SentenceEncoder#encodeText} makes one; a caller that embeds elsewhere makes one with
 * {@link #of(String, float[], int[])}. The arrays are copied in and out.
 *
 * @param text the text
 * @param embedding the sentence embedding
 * @param tokens every token id of the text, in order
 * @param pieces each token's text (a word piece), aligned with {@code tokens}
 */
public record EncodedText(String text, float[] embedding, int[] tokens, String[] pieces) {

  /** Checks and copies. */
  public EncodedText {
    Objects.requireNonNull(text, "text");
    embedding = Objects.requireNonNull(embedding, "embedding").clone();
    tokens = Objects.requireNonNull(tokens, "tokens").clone();
    pieces = Objects.requireNonNull(pieces, "pieces").clone();
    if (pieces.length != tokens.length) {
      throw new IllegalArgumentException("pieces (" + pieces.length + ") and tokens (" + tokens.length
          + ") must align");
    }
  }

  /** An encoded text whose pieces are unknown: explanations name each token by its id ({@code #1996}). */
  public static EncodedText of(String text, float[] embedding, int[] tokens) {
    String[] pieces = new String[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      pieces[i] = "#" + tokens[i];
    }
    return new EncodedText(text, embedding, tokens, pieces);
  }

  @Override
  public float[] embedding() {
    return embedding.clone();
  }

  @Override
  public int[] tokens() {
    return tokens.clone();
  }

  @Override
  public String[] pieces() {
    return pieces.clone();
  }

  /** The embedding without a copy, for the router. */
  float[] embeddingView() {
    return embedding;
  }

  /** The token ids without a copy, for the router. */
  int[] tokensView() {
    return tokens;
  }

  /** The text of token id {@code id}, from this text's own pieces (null when the text has no such token). */
  String pieceOf(int id) {
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] == id) {
        return pieces[i];
      }
    }
    return null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncodedText e && text.equals(e.text) && Arrays.equals(embedding, e.embedding)
        && Arrays.equals(tokens, e.tokens) && Arrays.equals(pieces, e.pieces);
  }

  @Override
  public int hashCode() {
    return Objects.hash(text, Arrays.hashCode(embedding), Arrays.hashCode(tokens));
  }

  @Override
  public String toString() {
    return "EncodedText[" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + ", " + embedding.length
        + " values, " + tokens.length + " tokens]";
  }
}
