package dev.auramoe.stream.learn;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;

/**
 * Turns an instance's input columns into the feature vector the mixture sees, learning its
 * statistics on-line:
 *
 * <ul>
 *   <li>numeric column: standardised with its running mean and variance (Welford), {@code (x -
 *       mean) / sd}, clipped to [-{@value #CLIP}, {@value #CLIP}]; a missing value becomes 0 (the
 *       mean), and while fewer than two values have been seen the column is only centred; a value
 *       beyond {@link Instance#MAX_MAGNITUDE} (infinite, or 1e300) counts as missing, since its
 *       square would overflow the running variance;
 *   <li>nominal column: one-hot over its values; a missing value is all zeros.
 * </ul>
 *
 * Prequential use: {@link #encode} with the statistics so far, then {@link #update} with the same
 * instance. Allocation-free per instance.
 */
public final class FeatureEncoder {

  /** Bound on a standardised value, so that one outlier cannot dominate a normalised step. */
  public static final float CLIP = 8f;

  private final int[] columns;
  private final int[] offset;
  private final int[] cardinality;
  private final long[] count;
  private final double[] mean;
  private final double[] m2;
  private final int dimension;

  public FeatureEncoder(Schema schema) {
    int inputs = schema.size() - 1;
    columns = new int[inputs];
    offset = new int[inputs];
    cardinality = new int[inputs];
    count = new long[inputs];
    mean = new double[inputs];
    m2 = new double[inputs];
    // Refuses (ArithmeticException) a schema wider than any array before sizing anything by it.
    dimension = Math.toIntExact(dimension(schema));
    int d = 0;
    int j = 0;
    for (int c = 0; c < schema.size(); c++) {
      if (c == schema.targetIndex()) {
        continue;
      }
      Attribute a = schema.attribute(c);
      columns[j] = c;
      offset[j] = d;
      cardinality[j] = a.isNominal() ? a.cardinality() : 0;
      d += width(a);
      j++;
    }
  }

  /**
   * The length of the feature vector a schema encodes to, without building an encoder: one feature
   * per numeric input column, one per value of a nominal one. A long, so that a schema too wide for
   * any model is counted, not overflowed.
   */
  public static long dimension(Schema schema) {
    long d = 0;
    for (int c = 0; c < schema.size(); c++) {
      if (c != schema.targetIndex()) {
        d += width(schema.attribute(c));
      }
    }
    return d;
  }

  private static int width(Attribute a) {
    return a.isNominal() ? a.cardinality() : 1;
  }

  /** Length of the feature vector. */
  public int dimension() {
    return dimension;
  }

  /** Writes the features of {@code inst} into {@code out[0..dimension)} with the statistics so far. */
  public void encode(Instance inst, float[] out) {
    double[] v = inst.values();
    for (int j = 0; j < columns.length; j++) {
      double x = v[columns[j]];
      int o = offset[j];
      int card = cardinality[j];
      if (card > 0) {
        for (int i = 0; i < card; i++) {
          out[o + i] = 0f;
        }
        if (!Double.isNaN(x)) {
          int idx = (int) x;
          if (idx >= 0 && idx < card) {
            out[o + idx] = 1f;
          }
        }
      } else if (!usable(x)) {
        out[o] = 0f;
      } else {
        double z = x - mean[j];
        if (count[j] >= 2) {
          double var = m2[j] / (count[j] - 1);
          z = var > 1e-24 ? z / Math.sqrt(var) : 0;
        }
        out[o] = (float) Math.max(-CLIP, Math.min(CLIP, z));
      }
    }
  }

  /** Neither missing nor beyond {@link Instance#MAX_MAGNITUDE} (NaN fails the comparison). */
  private static boolean usable(double x) {
    return Math.abs(x) <= Instance.MAX_MAGNITUDE;
  }

  /** Adds the instance's numeric values to the running statistics. */
  public void update(Instance inst) {
    double[] v = inst.values();
    for (int j = 0; j < columns.length; j++) {
      if (cardinality[j] > 0) {
        continue;
      }
      double x = v[columns[j]];
      if (!usable(x)) {
        continue;
      }
      long n = ++count[j];
      double d = x - mean[j];
      mean[j] += d / n;
      m2[j] += d * (x - mean[j]);
    }
  }
}
