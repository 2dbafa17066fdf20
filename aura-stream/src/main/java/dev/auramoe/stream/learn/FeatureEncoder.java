package dev.auramoe.stream.learn;

import dev.auramoe.TextEmbedder;
import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.io.Printable;
import java.util.stream.Collectors;

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
 *   <li>nominal column: one-hot over its values; a missing value is all zeros;
 *   <li>text column: the {@link TextEmbedder}'s {@link TextEmbedder#dimension()} features, as the
 *       embedder gives them; a missing text is all zeros.
 * </ul>
 *
 * Prequential use: {@link #encode} with the statistics so far, then {@link #update} with the same
 * instance. Allocation-free per instance for numeric and nominal columns (an embedder of text may
 * allocate).
 */
public final class FeatureEncoder {

  /** Bound on a standardised value, so that one outlier cannot dominate a normalised step. */
  public static final float CLIP = 8f;

  private final int[] columns;
  private final int[] offset;
  private final TextEmbedder embedder;
  private final int[] textColumns;
  private final int[] textOffset;
  private final String[] textNames;
  private final int[] cardinality;
  private final long[] count;
  private final double[] mean;
  private final double[] m2;
  private final int dimension;

  /**
   * An encoder for a schema without text columns.
   *
   * @throws IllegalArgumentException when the schema has a text column (it needs a {@link TextEmbedder})
   */
  public FeatureEncoder(Schema schema) {
    this(schema, null);
  }

  /**
   * An encoder whose text columns are embedded by {@code embedder}.
   *
   * @param embedder the embedder of the text columns; null when the schema has none
   * @throws IllegalArgumentException when the schema has a text column and no embedder is given
   */
  public FeatureEncoder(Schema schema, TextEmbedder embedder) {
    int texts = (int) schema.attributes().stream().filter(Attribute::isText).count();
    if (texts > 0 && embedder == null) {
      throw new IllegalArgumentException("the schema has text columns (" + schema.attributes().stream()
          .filter(Attribute::isText).map(a -> Printable.quoted(a.name())).collect(Collectors.joining(", "))
          + ") and no text embedder was given");
    }
    if (embedder != null && embedder.dimension() < 1) {
      throw new IllegalArgumentException("the text embedder's dimension is " + embedder.dimension()
          + ", it must be at least 1");
    }
    this.embedder = texts > 0 ? embedder : null;
    int inputs = schema.size() - 1 - texts;
    columns = new int[inputs];
    offset = new int[inputs];
    cardinality = new int[inputs];
    count = new long[inputs];
    mean = new double[inputs];
    m2 = new double[inputs];
    textColumns = new int[texts];
    textOffset = new int[texts];
    textNames = new String[texts];
    int textWidth = texts > 0 ? embedder.dimension() : 0;
    // Refuses (ArithmeticException) a schema wider than any array before sizing anything by it.
    dimension = Math.toIntExact(dimension(schema, textWidth));
    int d = 0;
    int j = 0;
    int t = 0;
    for (int c = 0; c < schema.size(); c++) {
      if (c == schema.targetIndex()) {
        continue;
      }
      Attribute a = schema.attribute(c);
      if (a.isText()) {
        textColumns[t] = c;
        textOffset[t] = d;
        textNames[t] = a.name();
        t++;
      } else {
        columns[j] = c;
        offset[j] = d;
        cardinality[j] = a.isNominal() ? a.cardinality() : 0;
        j++;
      }
      d += width(a, textWidth);
    }
  }

  /**
   * The length of the feature vector a schema without text columns encodes to, without building an
   * encoder: one feature per numeric input column, one per value of a nominal one. A long, so that a
   * schema too wide for any model is counted, not overflowed.
   *
   * @throws IllegalArgumentException when the schema has a text column: use {@link #dimension(Schema, int)}
   */
  public static long dimension(Schema schema) {
    if (schema.hasText()) {
      throw new IllegalArgumentException("the schema has text columns: give the text embedder's dimension");
    }
    return dimension(schema, 0);
  }

  /**
   * The length of the feature vector a schema encodes to when each text column is {@code
   * textDimension} features (its embedder's {@link TextEmbedder#dimension()}).
   */
  public static long dimension(Schema schema, int textDimension) {
    long d = 0;
    for (int c = 0; c < schema.size(); c++) {
      if (c != schema.targetIndex()) {
        d += width(schema.attribute(c), textDimension);
      }
    }
    return d;
  }

  private static int width(Attribute a, int textDimension) {
    return switch (a.kind()) {
      case NUMERIC -> 1;
      case NOMINAL -> a.cardinality();
      case TEXT -> textDimension;
    };
  }

  /** Length of the feature vector. */
  public int dimension() {
    return dimension;
  }

  /**
   * Writes the features of {@code inst} into {@code out[0..dimension)} with the statistics so far.
   *
   * @throws IllegalArgumentException naming the column when the embedder refuses a text; {@code out}
   *     may then be partly written, and nothing else has changed
   */
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
    if (textColumns.length > 0) {
      encodeTexts(inst, out);
    }
  }

  private void encodeTexts(Instance inst, float[] out) {
    int width = embedder.dimension();
    for (int t = 0; t < textColumns.length; t++) {
      String text = inst.text(textColumns[t]);
      int o = textOffset[t];
      if (text == null) {
        java.util.Arrays.fill(out, o, o + width, 0f);
        continue;
      }
      try {
        float[] v = embedder.embed(text).embedding();
        if (v.length != width) {
          throw new IllegalArgumentException("the embedder gave " + v.length + " values, not its dimension " + width);
        }
        System.arraycopy(v, 0, out, o, width);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("text in column " + Printable.quoted(textNames[t]) + ": "
            + e.getMessage(), e);
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
