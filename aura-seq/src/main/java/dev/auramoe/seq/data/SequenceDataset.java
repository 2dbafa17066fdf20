package dev.auramoe.seq.data;

import dev.auramoe.seq.Task;
import dev.auramoe.stream.io.Printable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * An in-memory set of labelled sequences of different lengths: per sequence an id, its steps of
 * {@link #features()} values, the elapsed time of each step since the sequence's previous step (NaN:
 * the regular step), and a class (classification) or a target vector (regression), as its
 * {@link Task} says. Immutable.
 *
 * <p>Storage is flat: the steps of every sequence one after the other, sequence s's steps at
 * {@code offset(s) .. offset(s + 1) - 1}, feature i of global step g at {@code x[g * features + i]}.
 * A data set of 70,000 images of 28 steps costs its values, not an object per step.
 *
 * <p>A {@link Builder} checks everything once, when it builds: every input finite, every elapsed time
 * finite and &gt;= 0 or NaN, every label in {@code 0 .. classes - 1} (targets finite), no sequence
 * empty, no id twice; an error names the sequence by index and id, and the step. Consumers (the
 * batcher, the models) can then rely on it.
 */
public final class SequenceDataset {

  /** The most values a data set holds: its flat array is indexed by int. */
  public static final int MAX_VALUES = Integer.MAX_VALUE - 8;

  private final Task task;
  private final List<String> featureNames;
  private final List<String> classNames;
  private final String[] ids;
  private final int[] offsets;
  private final float[] x;
  private final float[] elapsed;
  private final int[] labels;
  private final float[] targets;
  private final int maxLength;

  private SequenceDataset(Task task, List<String> featureNames, List<String> classNames, String[] ids, int[] offsets,
      float[] x, float[] elapsed, int[] labels, float[] targets) {
    this.task = task;
    this.featureNames = featureNames;
    this.classNames = classNames;
    this.ids = ids;
    this.offsets = offsets;
    this.x = x;
    this.elapsed = elapsed;
    this.labels = labels;
    this.targets = targets;
    int longest = 0;
    for (int s = 0; s < ids.length; s++) {
      longest = Math.max(longest, offsets[s + 1] - offsets[s]);
    }
    this.maxLength = longest;
  }

  /** A builder of a data set with features named {@code f0 .. f<features-1>}. */
  public static Builder builder(Task task, int features) {
    if (features <= 0) {
      throw new IllegalArgumentException("a sequence needs at least one feature per step, got " + features);
    }
    return new Builder(task, IntStream.range(0, features).mapToObj(i -> "f" + i).toList());
  }

  /** A builder of a data set with these feature names (one per feature, distinct). */
  public static Builder builder(Task task, List<String> featureNames) {
    return new Builder(task, featureNames);
  }

  /** What the sequences are labelled with. */
  public Task task() {
    return task;
  }

  /** Number of sequences. */
  public int size() {
    return ids.length;
  }

  /** Values per step. */
  public int features() {
    return featureNames.size();
  }

  /** The features' names, as a long-format CSV file has them in its header. */
  public List<String> featureNames() {
    return featureNames;
  }

  /** The classes' names, class k at index k (a classification); empty for a regression. */
  public List<String> classNames() {
    return classNames;
  }

  /** Sequence s's id. */
  public String id(int s) {
    return ids[s];
  }

  /** Sequence s's number of steps (at least 1). */
  public int length(int s) {
    return offsets[s + 1] - offsets[s];
  }

  /** The longest sequence's number of steps. */
  public int maxLength() {
    return maxLength;
  }

  /** Steps of all sequences together. */
  public int totalSteps() {
    return offsets[ids.length];
  }

  /** Feature i at step t of sequence s. */
  public float value(int s, int t, int i) {
    return x[(step(s, t)) * features() + i];
  }

  /** The elapsed time of step t of sequence s since its previous step (NaN: the regular step). */
  public float elapsed(int s, int t) {
    return elapsed[step(s, t)];
  }

  /** Sequence s's class (a classification). */
  public int label(int s) {
    if (labels == null) {
      throw new IllegalStateException("a regression data set has targets, not labels");
    }
    return labels[s];
  }

  /** Target k of sequence s (a regression). */
  public float target(int s, int k) {
    if (targets == null) {
      throw new IllegalStateException("a classification data set has labels, not targets");
    }
    Objects.checkIndex(k, task.size());
    return targets[s * task.size() + k];
  }

  /** Copies the features of step t of sequence s to {@code dst[dstFrom ..]}. */
  public void copyStep(int s, int t, float[] dst, int dstFrom) {
    int f = features();
    System.arraycopy(x, step(s, t) * f, dst, dstFrom, f);
  }

  /** Copies sequence s's targets (a regression) to {@code dst[dstFrom ..]}. */
  public void copyTargets(int s, float[] dst, int dstFrom) {
    if (targets == null) {
      throw new IllegalStateException("a classification data set has labels, not targets");
    }
    System.arraycopy(targets, s * task.size(), dst, dstFrom, task.size());
  }

  /** Whether every step of every sequence has the regular step (elapsed NaN). */
  public boolean isRegular() {
    for (float e : elapsed) {
      if (!Float.isNaN(e)) {
        return false;
      }
    }
    return true;
  }

  /** The index of the sequence with this id, or -1. Linear in the size. */
  public int indexOf(String id) {
    for (int s = 0; s < ids.length; s++) {
      if (ids[s].equals(id)) {
        return s;
      }
    }
    return -1;
  }

  /**
   * The data set of these sequences, in this order (a split into training and held-out sets, say).
   *
   * @throws IllegalArgumentException when an index is out of range or repeated (ids stay distinct)
   */
  public SequenceDataset select(int[] sequences) {
    boolean[] taken = new boolean[ids.length];
    int steps = 0;
    for (int s : sequences) {
      Objects.checkIndex(s, ids.length);
      if (taken[s]) {
        throw new IllegalArgumentException("sequence " + s + " is selected twice");
      }
      taken[s] = true;
      steps += length(s);
    }
    int f = features();
    int k = task.size();
    String[] i2 = new String[sequences.length];
    int[] o2 = new int[sequences.length + 1];
    float[] x2 = new float[steps * f];
    float[] e2 = new float[steps];
    int[] l2 = labels == null ? null : new int[sequences.length];
    float[] t2 = targets == null ? null : new float[sequences.length * k];
    for (int j = 0; j < sequences.length; j++) {
      int s = sequences[j];
      int n = length(s);
      i2[j] = ids[s];
      System.arraycopy(x, offsets[s] * f, x2, o2[j] * f, n * f);
      System.arraycopy(elapsed, offsets[s], e2, o2[j], n);
      o2[j + 1] = o2[j] + n;
      if (l2 != null) {
        l2[j] = labels[s];
      } else {
        System.arraycopy(targets, s * k, t2, j * k, k);
      }
    }
    return new SequenceDataset(task, featureNames, classNames, i2, o2, x2, e2, l2, t2);
  }

  /**
   * The same sequences with every step's features replaced: {@code map} rewrites
   * {@code values[from .. from + features - 1]} of a copy in place, step after step.
   */
  SequenceDataset mapSteps(StepMap map) {
    float[] copy = x.clone();
    int f = features();
    for (int g = 0; g < offsets[ids.length]; g++) {
      map.apply(copy, g * f);
    }
    return new SequenceDataset(task, featureNames, classNames, ids, offsets, copy, elapsed, labels, targets);
  }

  /** Rewrites one step's features in place. */
  @FunctionalInterface
  interface StepMap {
    void apply(float[] values, int from);
  }

  /**
   * Each feature's mean and population variance over every step, in double and in two passes (the
   * variance from the deviations, which stays exact for a feature far from 0, such as a timestamp).
   */
  void moments(double[] mean, double[] variance) {
    int f = features();
    int steps = offsets[ids.length];
    for (int g = 0; g < steps; g++) {
      for (int i = 0; i < f; i++) {
        mean[i] += x[g * f + i];
      }
    }
    for (int i = 0; i < f; i++) {
      mean[i] /= steps;
    }
    for (int g = 0; g < steps; g++) {
      for (int i = 0; i < f; i++) {
        double d = x[g * f + i] - mean[i];
        variance[i] += d * d;
      }
    }
    for (int i = 0; i < f; i++) {
      variance[i] /= steps;
    }
  }

  private int step(int s, int t) {
    Objects.checkIndex(t, length(s));
    return offsets[s] + t;
  }

  /** Sequence s named for an error: {@code sequence 4 (id 'abc')}. */
  static String name(int s, String id) {
    return "sequence " + s + " (id " + Printable.quoted(id) + ")";
  }

  @Override
  public String toString() {
    return "SequenceDataset[" + ids.length + " sequences, " + totalSteps() + " steps of " + features()
        + " features, longest " + maxLength + ", " + task + "]";
  }

  /**
   * Collects sequences, then checks them all and builds the data set. Each {@code add} copies what it
   * is given, so the caller may reuse its arrays. Not thread-safe.
   */
  public static final class Builder {

    private final Task task;
    private final List<String> featureNames;
    private final int features;
    private List<String> classNames;
    private final List<String> ids = new ArrayList<>();
    private int[] offsets = new int[17];
    private float[] x = new float[1024];
    private float[] elapsed = new float[64];
    private int[] labels = new int[16];
    private float[] targets = new float[16];

    private Builder(Task task, List<String> featureNames) {
      this.task = Objects.requireNonNull(task, "task");
      this.featureNames = List.copyOf(featureNames);
      this.features = this.featureNames.size();
      if (features == 0) {
        throw new IllegalArgumentException("a sequence needs at least one feature per step");
      }
      if (new java.util.HashSet<>(this.featureNames).size() != features) {
        throw new IllegalArgumentException("feature names repeat: " + this.featureNames);
      }
      if (task.kind() == Task.Kind.CLASSIFICATION) {
        this.classNames = IntStream.range(0, task.size()).mapToObj(Integer::toString).toList();
      } else {
        this.classNames = List.of();
      }
    }

    /**
     * Names the classes (a classification), class k at index k; by default {@code "0" .. "<classes-1>"}.
     */
    public Builder classNames(List<String> names) {
      if (task.kind() != Task.Kind.CLASSIFICATION) {
        throw new IllegalArgumentException("a regression has no classes to name");
      }
      List<String> copy = List.copyOf(names);
      if (copy.size() != task.size()) {
        throw new IllegalArgumentException(task.size() + " classes need " + task.size() + " names, got "
            + copy.size());
      }
      if (new java.util.HashSet<>(copy).size() != copy.size()) {
        throw new IllegalArgumentException("class names repeat: " + copy);
      }
      this.classNames = copy;
      return this;
    }

    /** Sequences added so far. */
    public int size() {
      return ids.size();
    }

    /**
     * Adds a sequence of a classification.
     *
     * @param steps its length, at least 1
     * @param x at least {@code steps * features} values, step-major; the first ones are taken
     * @param elapsed at least {@code steps} elapsed times, or null for the regular step everywhere
     */
    public Builder add(String id, int steps, float[] x, float[] elapsed, int label) {
      return add(id, steps, x, 0, elapsed, 0, label);
    }

    /** Adds a sequence of a classification from {@code x[xFrom ..]} and {@code elapsed[elapsedFrom ..]}. */
    public Builder add(String id, int steps, float[] x, int xFrom, float[] elapsed, int elapsedFrom, int label) {
      if (task.kind() != Task.Kind.CLASSIFICATION) {
        throw new IllegalArgumentException("a regression's sequences have targets, not a label");
      }
      int s = append(id, steps, x, xFrom, elapsed, elapsedFrom);
      if (s == labels.length) {
        labels = Arrays.copyOf(labels, 2 * s);
      }
      labels[s] = label;
      return this;
    }

    /**
     * Adds a sequence of a regression.
     *
     * @param target at least {@code task().size()} values; the first ones are taken
     */
    public Builder add(String id, int steps, float[] x, float[] elapsed, float[] target) {
      if (task.kind() != Task.Kind.REGRESSION) {
        throw new IllegalArgumentException("a classification's sequences have a label, not targets");
      }
      int k = task.size();
      if (target.length < k) {
        throw new IllegalArgumentException("a target of " + k + " values, got " + target.length);
      }
      int s = append(id, steps, x, 0, elapsed, 0);
      if ((s + 1) * k > targets.length) {
        targets = Arrays.copyOf(targets, 2 * (s + 1) * k);
      }
      System.arraycopy(target, 0, targets, s * k, k);
      return this;
    }

    private int append(String id, int steps, float[] xs, int xFrom, float[] es, int eFrom) {
      Objects.requireNonNull(id, "id");
      int s = ids.size();
      if (steps <= 0) {
        throw new IllegalArgumentException(name(s, id) + " has " + steps + " steps; a sequence needs at least one");
      }
      long have = offsets[s];
      if ((have + steps) * features > MAX_VALUES) {
        throw new IllegalArgumentException(name(s, id) + " would take the data set beyond " + MAX_VALUES
            + " values (" + features + " per step)");
      }
      if (xs.length - xFrom < steps * features || xFrom < 0) {
        throw new IllegalArgumentException(name(s, id) + ": " + steps + " steps of " + features + " features need "
            + steps * features + " values from " + xFrom + ", the array holds " + xs.length);
      }
      if (es != null && (es.length - eFrom < steps || eFrom < 0)) {
        throw new IllegalArgumentException(name(s, id) + ": " + steps + " steps need " + steps
            + " elapsed times from " + eFrom + ", the array holds " + es.length);
      }
      int end = offsets[s] + steps;
      x = grow(x, end * features);
      elapsed = grow(elapsed, end);
      System.arraycopy(xs, xFrom, x, offsets[s] * features, steps * features);
      if (es == null) {
        Arrays.fill(elapsed, offsets[s], end, Float.NaN);
      } else {
        System.arraycopy(es, eFrom, elapsed, offsets[s], steps);
      }
      if (s + 1 == offsets.length - 1) {
        offsets = Arrays.copyOf(offsets, 2 * offsets.length);
      }
      offsets[s + 1] = end;
      ids.add(id);
      return s;
    }

    private static float[] grow(float[] a, int n) {
      if (n <= a.length) {
        return a;
      }
      return Arrays.copyOf(a, (int) Math.min(MAX_VALUES, Math.max(n, 2L * a.length)));
    }

    /**
     * Checks every sequence and builds the data set. The builder can go on adding afterwards.
     *
     * @throws IllegalArgumentException naming the sequence (index and id) and step of the first bad
     *     value: an input that is not finite, an elapsed time negative or infinite, a label outside
     *     {@code 0 .. classes - 1}, a target that is not finite; or an id given twice, or no sequence
     */
    public SequenceDataset build() {
      int n = ids.size();
      if (n == 0) {
        throw new IllegalArgumentException("a data set needs at least one sequence");
      }
      Map<String, Integer> seen = new HashMap<>();
      for (int s = 0; s < n; s++) {
        String id = ids.get(s);
        Integer before = seen.putIfAbsent(id, s);
        if (before != null) {
          throw new IllegalArgumentException("sequences " + before + " and " + s + " have the same id "
              + Printable.quoted(id));
        }
        if (task.kind() == Task.Kind.CLASSIFICATION && (labels[s] < 0 || labels[s] >= task.size())) {
          throw new IllegalArgumentException("label " + labels[s] + " of " + name(s, id) + " is outside 0.."
              + (task.size() - 1));
        }
        if (task.kind() == Task.Kind.REGRESSION) {
          for (int k = 0; k < task.size(); k++) {
            float v = targets[s * task.size() + k];
            if (!Float.isFinite(v)) {
              throw new IllegalArgumentException("target " + k + " of " + name(s, id) + " is not finite: " + v);
            }
          }
        }
        for (int g = offsets[s]; g < offsets[s + 1]; g++) {
          int t = g - offsets[s];
          float e = elapsed[g];
          if (e < 0 || e == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("elapsed time at step " + t + " of " + name(s, id)
                + " must be finite and >= 0 (or NaN for the regular step), got " + e);
          }
          for (int i = 0; i < features; i++) {
            float v = x[g * features + i];
            if (!Float.isFinite(v)) {
              throw new IllegalArgumentException("feature " + i + " at step " + t + " of " + name(s, id)
                  + " is not finite: " + v + " (feature " + Printable.quoted(featureNames.get(i)) + ")");
            }
          }
        }
      }
      int steps = offsets[n];
      boolean classification = task.kind() == Task.Kind.CLASSIFICATION;
      return new SequenceDataset(task, featureNames, classNames, ids.toArray(String[]::new),
          Arrays.copyOf(offsets, n + 1), Arrays.copyOf(x, steps * features), Arrays.copyOf(elapsed, steps),
          classification ? Arrays.copyOf(labels, n) : null,
          classification ? null : Arrays.copyOf(targets, n * task.size()));
    }
  }
}
