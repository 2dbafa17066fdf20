package dev.auramoe.cli.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Labelled texts: each text with the index of its category, categories named. Immutable; the
 * operations give new corpora.
 *
 * @param source where the texts came from (a directory), for messages and reports
 * @param categories the category names; label {@code k} is {@code categories.get(k)}
 * @param texts the texts, in order
 * @param labels the category index of each text
 */
public record Corpus(String source, List<String> categories, List<String> texts, int[] labels) {

  /** Checks the sizes and labels. */
  public Corpus {
    categories = List.copyOf(categories);
    texts = List.copyOf(texts);
    labels = labels.clone();
    if (texts.size() != labels.length) {
      throw new IllegalArgumentException(texts.size() + " texts but " + labels.length + " labels");
    }
    for (int l : labels) {
      if (l < 0 || l >= categories.size()) {
        throw new IllegalArgumentException("label " + l + " outside [0, " + categories.size() + ")");
      }
    }
  }

  /** The number of texts. */
  public int size() {
    return texts.size();
  }

  /** The label of text {@code i}. */
  public int label(int i) {
    return labels[i];
  }

  /** The labels (a copy). */
  @Override
  public int[] labels() {
    return labels.clone();
  }

  /** Texts per category, by label. */
  public int[] counts() {
    int[] c = new int[categories.size()];
    for (int l : labels) {
      c[l]++;
    }
    return c;
  }

  /**
   * The {@code n} categories with the most texts and their texts, in their order here; the
   * categories are relabelled from the largest (0) down, ties by name.
   *
   * @throws IllegalArgumentException when {@code n} is below 2 or above the number of categories
   */
  public Corpus largest(int n) {
    if (n < 2 || n > categories.size()) {
      throw new IllegalArgumentException("cannot keep the " + n + " largest categories of " + source + ": it has "
          + categories.size() + " (at least 2 are needed)");
    }
    int[] count = counts();
    Integer[] order = new Integer[categories.size()];
    for (int k = 0; k < order.length; k++) {
      order[k] = k;
    }
    Arrays.sort(order, Comparator.<Integer>comparingInt(k -> -count[k]).thenComparing(categories::get));
    int[] relabel = new int[categories.size()];
    Arrays.fill(relabel, -1);
    List<String> names = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      relabel[order[r]] = r;
      names.add(categories.get(order[r]));
    }
    List<String> kept = new ArrayList<>();
    int[] keptLabels = new int[size()];
    int m = 0;
    for (int i = 0; i < size(); i++) {
      int l = relabel[labels[i]];
      if (l >= 0) {
        kept.add(texts.get(i));
        keptLabels[m++] = l;
      }
    }
    return new Corpus(source, names, kept, Arrays.copyOf(keptLabels, m));
  }

  /** The texts in a seeded random order (Fisher-Yates over {@link SplittableRandom}): the same seed, the same order. */
  public Corpus shuffled(long seed) {
    int n = size();
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    List<String> t = new ArrayList<>(n);
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      t.add(texts.get(perm[i]));
      l[i] = labels[perm[i]];
    }
    return new Corpus(source, categories, t, l);
  }

  /** The first {@code n} texts (all of them when there are fewer). */
  public Corpus first(int n) {
    if (n >= size()) {
      return this;
    }
    return new Corpus(source, categories, texts.subList(0, n), Arrays.copyOf(labels, n));
  }
}
