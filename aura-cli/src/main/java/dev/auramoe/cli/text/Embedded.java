package dev.auramoe.cli.text;

import java.util.List;

/**
 * The inputs of a run, computed once and read by every contestant: each quote's embedding and token
 * ids, its category, and what embedding them cost.
 *
 * @param categories the category names, by label
 * @param x the embedding of each quote (unit length)
 * @param tokens the token ids of each quote
 * @param labels the category of each quote
 * @param vocabulary the number of token ids (ids lie below it)
 * @param nanos wall-clock nanoseconds spent embedding and tokenising all of them
 */
public record Embedded(List<String> categories, float[][] x, int[][] tokens, int[] labels, int vocabulary, long nanos) {

  /** Checks the sizes. */
  public Embedded {
    categories = List.copyOf(categories);
    if (x.length != labels.length || tokens.length != labels.length) {
      throw new IllegalArgumentException(x.length + " embeddings, " + tokens.length + " token lists and "
          + labels.length + " labels");
    }
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
    return x.length == 0 ? 0 : x[0].length;
  }

  /** Nanoseconds of embedding and tokenising per quote. */
  public double nanosPerText() {
    return labels.length == 0 ? Double.NaN : (double) nanos / labels.length;
  }
}
