package dev.auramoe.server;

import dev.auramoe.TextEmbedder;

/**
 * A deterministic {@link TextEmbedder} for the service's tests, free of any model: a text's embedding
 * counts its code points into {@code dimension} bins (by code point and position) and is scaled to
 * unit length; its tokens are its code points modulo the vocabulary. It refuses what the text module's
 * encoder refuses (null, empty, blank, longer than {@code maxChars}) with an
 * {@link IllegalArgumentException}, and, once {@link #fail} is set, fails every call as an encoder that
 * could not be loaded does. It takes unpaired surrogates, which the server must refuse before any
 * embedder sees them.
 */
final class HashTextEmbedder implements TextEmbedder {

  private final int dimension;
  private final int maxChars;
  private volatile String fail;
  private volatile int calls;

  HashTextEmbedder(int dimension, int maxChars) {
    this.dimension = dimension;
    this.maxChars = maxChars;
  }

  /** Every later call throws an IllegalStateException with this message (null: works again). */
  void fail(String message) {
    this.fail = message;
  }

  /** Texts embedded so far. */
  int calls() {
    return calls;
  }

  @Override
  public int dimension() {
    failIfAsked();
    return dimension;
  }

  @Override
  public int vocabularySize() {
    failIfAsked();
    return 1 << 16;
  }

  @Override
  public Embedded embed(String text) {
    failIfAsked();
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("text is empty");
    }
    if (text.length() > maxChars) {
      throw new IllegalArgumentException("text is " + text.length() + " chars long, over the limit of " + maxChars);
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("text is blank (only white space)");
    }
    calls++;
    int[] points = text.codePoints().toArray();
    float[] v = new float[dimension];
    int[] tokens = new int[points.length];
    for (int i = 0; i < points.length; i++) {
      v[Math.floorMod(points[i] * 31 + i, dimension)] += 1;
      tokens[i] = points[i] % vocabularySize();
    }
    double norm = 0;
    for (float f : v) {
      norm += f * f;
    }
    float s = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < dimension; i++) {
      v[i] *= s;
    }
    return new Embedded(v, tokens);
  }

  private void failIfAsked() {
    String f = fail;
    if (f != null) {
      throw new IllegalStateException(f);
    }
  }
}
