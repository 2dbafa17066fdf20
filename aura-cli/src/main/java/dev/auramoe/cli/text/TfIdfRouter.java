package dev.auramoe.cli.text;

import java.util.Arrays;

/**
 * A keyword router: TF-IDF over the quotes' token ids with on-line document frequencies, one term
 * vector per category, and a quote goes to the category whose vector is closest in cosine (the
 * Rocchio classifier).
 *
 * <p>A quote's vector weighs each of its distinct tokens {@code t} by
 * {@code (1 + ln tf) * idf(t)}, {@code idf(t) = ln((1 + N) / (1 + df(t))) + 1} (the smoothed idf of
 * scikit-learn), {@code N} the quotes learnt so far and {@code df(t)} those among them holding
 * {@code t}, and is scaled to unit length. Learning a quote first counts it in the document
 * frequencies, then adds its vector, weighed with them, to its category's vector; the category
 * vectors are not re-weighed as the frequencies move on (each quote keeps the weights of its time),
 * which keeps a step {@code O(tokens)}. A category with no quote yet is never chosen; a quote with no
 * known token, or before the first quote, goes to the first category that has one (0 when none).
 *
 * <p>{@code O(tokens x classes)} per prediction; the scratch arrays grow to the longest quote and are
 * then reused.
 */
public final class TfIdfRouter implements Contestant.PredictThenLearn {

  private final int[][] tokens;
  private final int[] documentFrequency;
  private final float[][] categoryVectors;
  private final double[] squaredNorms;
  private int documents;

  /** Distinct token ids of the current quote, ascending, and their counts, then their weights. */
  private int[] terms = new int[64];
  private int[] counts = new int[64];
  private double[] weights = new double[64];
  private int distinct;

  /**
   * @param inputs the run's inputs (their token ids are read)
   */
  public TfIdfRouter(Embedded inputs) {
    this.tokens = inputs.tokens();
    this.documentFrequency = new int[inputs.vocabulary()];
    this.categoryVectors = new float[inputs.classes()][inputs.vocabulary()];
    this.squaredNorms = new double[inputs.classes()];
  }

  @Override
  public int predict(int i) {
    terms(i);
    weigh();
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < categoryVectors.length; c++) {
      if (squaredNorms[c] <= 0) {
        continue;
      }
      float[] v = categoryVectors[c];
      double s = 0;
      for (int k = 0; k < distinct; k++) {
        s += weights[k] * v[terms[k]];
      }
      s /= Math.sqrt(squaredNorms[c]);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    return Math.max(best, 0);
  }

  @Override
  public void learn(int i, int label) {
    terms(i);
    if (distinct == 0) {
      return;
    }
    documents++;
    for (int k = 0; k < distinct; k++) {
      documentFrequency[terms[k]]++;
    }
    weigh();
    float[] v = categoryVectors[label];
    double norm = squaredNorms[label];
    for (int k = 0; k < distinct; k++) {
      float old = v[terms[k]];
      float updated = (float) (old + weights[k]);
      v[terms[k]] = updated;
      // |v|^2 changes only in the quote's terms: by updated^2 - old^2, in the precision v is kept in.
      norm += (double) updated * updated - (double) old * old;
    }
    squaredNorms[label] = norm;
  }

  /** The inverse document frequency of a token id now. */
  double idf(int term) {
    return Math.log((1.0 + documents) / (1.0 + documentFrequency[term])) + 1;
  }

  /** The kept squared norm of a category's vector (for tests). */
  double squaredNorm(int category) {
    return squaredNorms[category];
  }

  /** A copy of a category's term vector (for tests). */
  float[] categoryVector(int category) {
    return categoryVectors[category].clone();
  }

  /** Fills {@link #terms} and {@link #counts} with the distinct tokens of quote {@code i}. */
  private void terms(int i) {
    int[] t = tokens[i];
    if (terms.length < t.length) {
      int size = Math.max(t.length, 2 * terms.length);
      terms = new int[size];
      counts = new int[size];
      weights = new double[size];
    }
    System.arraycopy(t, 0, terms, 0, t.length);
    Arrays.sort(terms, 0, t.length);
    distinct = 0;
    for (int k = 0; k < t.length; k++) {
      if (distinct > 0 && terms[distinct - 1] == terms[k]) {
        counts[distinct - 1]++;
      } else {
        terms[distinct] = terms[k];
        counts[distinct] = 1;
        distinct++;
      }
    }
  }

  /** Fills {@link #weights} with the unit-length TF-IDF vector of the current terms. */
  private void weigh() {
    double norm = 0;
    for (int k = 0; k < distinct; k++) {
      double w = (1 + Math.log(counts[k])) * idf(terms[k]);
      weights[k] = w;
      norm += w * w;
    }
    if (norm > 0) {
      double inv = 1 / Math.sqrt(norm);
      for (int k = 0; k < distinct; k++) {
        weights[k] *= inv;
      }
    }
  }
}
