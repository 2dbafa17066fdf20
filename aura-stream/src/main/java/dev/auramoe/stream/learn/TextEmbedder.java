package dev.auramoe.stream.learn;

/**
 * Turns a text into a fixed number of features: how a learner reads a text column ({@link
 * dev.auramoe.stream.data.Attribute.Kind#TEXT}). A sentence encoder is the usual one; this module
 * defines only the interface, so that it stays free of any model runtime.
 *
 * <p>An embedder gives the same features for the same text (a learner that is run twice must learn
 * the same), and values of a modest scale, such as a unit-length vector: the features go to the
 * experts and the router as they are, without the standardisation numeric columns get.
 */
public interface TextEmbedder {

  /** The number of features per text, at least 1. */
  int dimension();

  /**
   * Writes the features of {@code text} into {@code out[offset, offset + dimension())}.
   *
   * @throws IllegalArgumentException when the text cannot be embedded (empty, or too long, say);
   *     nothing is written then
   */
  void embed(String text, float[] out, int offset);
}
