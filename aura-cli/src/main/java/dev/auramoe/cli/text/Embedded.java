package dev.auramoe.cli.text;

import dev.auramoe.text.EncodedText;
import java.util.ArrayList;
import java.util.List;

/**
 * The inputs of a run, computed once and read by every contestant: each quote as encoded for the
 * router (embedding, token ids and word pieces), its category, and what encoding them cost.
 *
 * @param categories the category names, by label
 * @param texts each quote, encoded
 * @param labels the category of each quote
 * @param vocabulary the number of token ids (ids lie below it)
 * @param nanos wall-clock nanoseconds spent embedding and tokenising all of them
 * @param cpuNanos the CPU time of the thread that did it, in nanoseconds (-1 when the JVM cannot tell)
 */
public record Embedded(List<String> categories, List<EncodedText> texts, int[] labels, int vocabulary, long nanos,
    long cpuNanos) {

  /** Checks the sizes. */
  public Embedded {
    categories = List.copyOf(categories);
    texts = List.copyOf(texts);
    if (texts.size() != labels.length) {
      throw new IllegalArgumentException(texts.size() + " texts and " + labels.length + " labels");
    }
  }

  /**
   * Inputs embedded elsewhere (generated ones, in tests): each quote named {@code "quote i"}, its
   * pieces unknown.
   */
  public static Embedded of(List<String> categories, float[][] x, int[][] tokens, int[] labels, int vocabulary) {
    List<EncodedText> t = new ArrayList<>(x.length);
    for (int i = 0; i < x.length; i++) {
      t.add(EncodedText.of("quote " + i, x[i], tokens[i]));
    }
    return new Embedded(categories, t, labels, vocabulary, 0, 0);
  }

  /** The number of categories. */
  public int classes() {
    return categories.size();
  }

  /** The number of quotes. */
  public int size() {
    return labels.length;
  }

  /** The width of an embedding (0 when there is no quote). */
  public int dimension() {
    return texts.isEmpty() ? 0 : texts.getFirst().embedding().length;
  }

  /** The embedding of every quote (copies, made once per call: contestants keep the array). */
  public float[][] x() {
    float[][] x = new float[texts.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = texts.get(i).embedding();
    }
    return x;
  }

  /** The token ids of every quote (copies, made once per call: contestants keep the array). */
  public int[][] tokens() {
    int[][] t = new int[texts.size()][];
    for (int i = 0; i < t.length; i++) {
      t[i] = texts.get(i).tokens();
    }
    return t;
  }

  /** The labels (the array itself: not to be changed). */
  @Override
  public int[] labels() {
    return labels;
  }

  /** Nanoseconds of embedding and tokenising per quote. */
  public double nanosPerText() {
    return labels.length == 0 ? Double.NaN : (double) nanos / labels.length;
  }
}
