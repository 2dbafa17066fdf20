package dev.auramoe.cli.text;

/**
 * Nearest centroid on the embeddings: each category's running mean of the embeddings of its quotes
 * seen so far, and a quote goes to the category whose mean is closest in cosine. A category with no
 * quote yet has no mean and is never chosen; before the first quote, category 0.
 *
 * <p>It keeps each category's sum of embeddings and the sum's squared norm, updated in
 * {@code O(dimension)} per quote ({@code |s + x|^2 = |s|^2 + 2 s.x + |x|^2}); the mean points where the
 * sum does, so the sum stands for it. {@code O(classes x dimension)} per prediction, no allocation.
 */
public final class NearestCentroid implements Contestant.PredictThenLearn {

  private final float[][] x;
  private final double[][] sums;
  private final double[] squaredNorms;

  /**
   * @param inputs the run's inputs (their embeddings are read)
   */
  public NearestCentroid(Embedded inputs) {
    this.x = inputs.x();
    this.sums = new double[inputs.classes()][inputs.dimension()];
    this.squaredNorms = new double[inputs.classes()];
  }

  @Override
  public int predict(int i) {
    float[] v = x[i];
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < sums.length; c++) {
      if (squaredNorms[c] <= 0) {
        continue;
      }
      double score = dot(sums[c], v) / Math.sqrt(squaredNorms[c]);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }

  @Override
  public void learn(int i, int label) {
    float[] v = x[i];
    double[] s = sums[label];
    double sv = 0;
    double vv = 0;
    for (int j = 0; j < v.length; j++) {
      sv += s[j] * v[j];
      vv += (double) v[j] * v[j];
      s[j] += v[j];
    }
    squaredNorms[label] += 2 * sv + vv;
  }

  private static double dot(double[] a, float[] b) {
    double d = 0;
    for (int j = 0; j < b.length; j++) {
      d += a[j] * b[j];
    }
    return d;
  }
}
