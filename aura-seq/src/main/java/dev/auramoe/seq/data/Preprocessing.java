package dev.auramoe.seq.data;

import dev.auramoe.cell.CellConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a model's inputs go through before it sees them, fitted on the training set and kept with
 * the model: the features' {@link Standardisation}, the time unit of the elapsed times, and
 * optionally the elapsed time as one more input feature.
 *
 * <p><b>Time unit.</b> A data set's elapsed times come in its own unit (seconds, days, rows of an
 * image, pixels). The liquid cell integrates in its own time, where one regular step is
 * {@code unfolds * dt} (0.02 by default) and a gap of e costs {@code ceil(e / tauMin)} Euler steps.
 * So the elapsed times are rescaled so that the training set's median gap (over the steps that have
 * one, the first steps excluded) becomes the regular step: a data set sampled at its usual rate costs
 * what a regular one does, and a gap three times the usual one three steps. The scale is 1 for a
 * regular data set (no elapsed times).
 *
 * <p><b>Elapsed feature.</b> When asked, each step gets one more feature, its gap in units of the
 * median gap ({@code e / median}; 1 where no elapsed time is given, 0 at a gap of 0), named
 * {@value #ELAPSED_FEATURE}: the way a discrete-time model such as an LSTM is given the elapsed time.
 */
public record Preprocessing(Standardisation standardisation, double medianGap, double cellStep,
    boolean elapsedFeature) {

  /** The name of the elapsed-time feature. */
  public static final String ELAPSED_FEATURE = "elapsed";

  /**
   * @param standardisation of the data set's own features
   * @param medianGap the training set's median elapsed time, or NaN when it has none (regular)
   * @param cellStep the cell's regular step, {@code unfolds * dt}
   * @param elapsedFeature whether the gap is appended as a feature
   */
  public Preprocessing {
    Objects.requireNonNull(standardisation, "standardisation");
    if (!(Double.isNaN(medianGap) || (medianGap > 0 && Double.isFinite(medianGap)))) {
      throw new IllegalArgumentException("the median gap must be finite and > 0, or NaN, got " + medianGap);
    }
    if (!(cellStep > 0) || !Double.isFinite(cellStep)) {
      throw new IllegalArgumentException("the cell's step must be finite and > 0, got " + cellStep);
    }
  }

  /**
   * Fits on a training set.
   *
   * @param cell the configuration whose regular step the median gap becomes
   * @param elapsedFeature whether to append the gap as a feature
   */
  public static Preprocessing fit(SequenceDataset training, CellConfig cell, boolean elapsedFeature) {
    return new Preprocessing(Standardisation.fit(training), medianGap(training), cell.unfolds() * (double) cell.dt(),
        elapsedFeature);
  }

  /** The median of the data set's finite, positive elapsed times, or NaN when it has none. */
  public static double medianGap(SequenceDataset data) {
    int n = 0;
    float[] gaps = new float[Math.max(1, data.totalSteps())];
    for (int s = 0; s < data.size(); s++) {
      for (int t = 0; t < data.length(s); t++) {
        float e = data.elapsed(s, t);
        if (e > 0 && Float.isFinite(e)) {
          gaps[n++] = e;
        }
      }
    }
    if (n == 0) {
      return Double.NaN;
    }
    Arrays.sort(gaps, 0, n);
    return n % 2 == 1 ? gaps[n / 2] : 0.5 * ((double) gaps[n / 2 - 1] + gaps[n / 2]);
  }

  /** Features per step after preprocessing: the data set's, plus one for the elapsed feature. */
  public int features() {
    return standardisation.features() + (elapsedFeature ? 1 : 0);
  }

  /** The feature names after preprocessing. */
  public List<String> featureNames(List<String> original) {
    List<String> names = new ArrayList<>(original);
    if (elapsedFeature) {
      names.add(ELAPSED_FEATURE);
    }
    return List.copyOf(names);
  }

  /** The cell's elapsed time for a data gap: scaled so that the median gap is the cell's step; NaN stays NaN. */
  public float cellElapsed(float gap) {
    return Double.isNaN(medianGap) || gap != gap ? gap : (float) (gap * (cellStep / medianGap));
  }

  /** The elapsed feature's value for a data gap: the gap in median gaps, 1 for NaN (the regular step). */
  public float gapFeature(float gap) {
    return gap != gap ? 1f : Double.isNaN(medianGap) ? gap : (float) (gap / medianGap);
  }

  /**
   * One step: standardises {@code values[from .. from + F)} into {@code out[outFrom ..]} and, with the
   * elapsed feature, writes the gap after them.
   *
   * @return the cell's elapsed time of the step
   */
  public float applyStep(float[] values, int from, float gap, float[] out, int outFrom) {
    int f = standardisation.features();
    System.arraycopy(values, from, out, outFrom, f);
    standardisation.applyStep(out, outFrom);
    if (elapsedFeature) {
      out[outFrom + f] = gapFeature(gap);
    }
    return cellElapsed(gap);
  }

  /** The data set as the model sees it: ids, lengths, labels or targets as they were. */
  public SequenceDataset apply(SequenceDataset data) {
    int f = standardisation.features();
    if (data.features() != f) {
      throw new IllegalArgumentException("the preprocessing has " + f + " features, the data " + data.features());
    }
    int out = features();
    SequenceDataset.Builder b = SequenceDataset.builder(data.task(), featureNames(data.featureNames()));
    if (data.task().kind() == dev.auramoe.seq.Task.Kind.CLASSIFICATION) {
      b.classNames(data.classNames());
    }
    float[] x = new float[data.maxLength() * out];
    float[] raw = new float[f];
    float[] elapsed = new float[data.maxLength()];
    float[] targets = new float[data.task().kind() == dev.auramoe.seq.Task.Kind.REGRESSION ? data.task().size() : 0];
    for (int s = 0; s < data.size(); s++) {
      int len = data.length(s);
      for (int t = 0; t < len; t++) {
        data.copyStep(s, t, raw, 0);
        elapsed[t] = applyStep(raw, 0, data.elapsed(s, t), x, t * out);
      }
      if (targets.length == 0) {
        b.add(data.id(s), len, x, elapsed, data.label(s));
      } else {
        data.copyTargets(s, targets, 0);
        b.add(data.id(s), len, x, elapsed, targets.clone());
      }
    }
    return b.build();
  }
}
