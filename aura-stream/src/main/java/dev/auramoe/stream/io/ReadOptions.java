package dev.auramoe.stream.io;

import dev.auramoe.stream.data.MalformedRowException;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Options of the text readers ({@link ArffReader}, {@link CsvReader}). Immutable; the {@code with*}
 * methods return a changed copy.
 *
 * <pre>{@code
 * ReadOptions o = ReadOptions.defaults()
 *     .withTarget("class")
 *     .withPolicy(MalformedRowPolicy.SKIP)
 *     .withListener(e -> log.warn(e.getMessage()));
 * }</pre>
 *
 * @param target name of the target column; null for the last column
 * @param policy what to do with a malformed row
 * @param maxProblems how many problems a reader keeps for {@code problems()} under {@link
 *     MalformedRowPolicy#SKIP} (0 keeps none; the count of skipped rows is always exact)
 * @param listener called with every malformed row that is skipped; null for none
 * @param separator the field separator of CSV files (ignored by ARFF)
 * @param targetType how a CSV target column is typed (ARFF declares its types; there, a value other
 *     than {@link TargetType#AUTO} must agree with the declared type)
 * @param maxLevels the most distinct values a CSV nominal column may have: an input column with more
 *     (an identifier, whose one-hot encoding would be as wide as the file is long) is left out of the
 *     schema and listed by {@link CsvReader#leftOut()} unless it is read as text, and a target with more
 *     is refused; at least 1 (ARFF declares its values, so this does not apply there)
 * @param textColumns columns read as text whatever their values (CSV), or that must be declared
 *     {@code string} (ARFF); never the target
 * @param nominalColumns CSV columns read as nominal even where their values look like text; in ARFF
 *     they must be declared nominal
 * @param textCheck what is wrong with a text value, or null when nothing is: a row whose text it
 *     refuses is a malformed row naming the column (null: every text is taken, and the learner's
 *     {@link dev.auramoe.TextEmbedder} judges it)
 */
public record ReadOptions(String target, MalformedRowPolicy policy, int maxProblems,
    Consumer<MalformedRowException> listener, char separator, TargetType targetType, int maxLevels,
    Set<String> textColumns, Set<String> nominalColumns, Function<String, String> textCheck) {

  /** Problems kept by default. */
  public static final int DEFAULT_MAX_PROBLEMS = 100;

  /** Distinct values a CSV nominal column may have by default. */
  public static final int DEFAULT_MAX_LEVELS = 1_000;

  /** Validates the options. */
  public ReadOptions {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(targetType, "targetType");
    if (maxProblems < 0) {
      throw new IllegalArgumentException("maxProblems must be >= 0, got " + maxProblems);
    }
    if (separator == '"' || separator == '\n' || separator == '\r') {
      throw new IllegalArgumentException("the separator cannot be a quote or a line break");
    }
    if (maxLevels < 1) {
      throw new IllegalArgumentException("maxLevels must be >= 1, got " + maxLevels);
    }
    textColumns = Set.copyOf(Objects.requireNonNull(textColumns, "textColumns"));
    nominalColumns = Set.copyOf(Objects.requireNonNull(nominalColumns, "nominalColumns"));
    Set<String> both = new HashSet<>(textColumns);
    both.retainAll(nominalColumns);
    if (!both.isEmpty()) {
      throw new IllegalArgumentException("columns named both text and nominal: "
          + Printable.of(String.join(", ", both.stream().sorted().toList())));
    }
    if (target != null && textColumns.contains(target)) {
      throw new IllegalArgumentException("the target " + Printable.quoted(target) + " cannot be a text column");
    }
  }

  /**
   * Last column as target, abort on a malformed row, ',' as separator, {@link TargetType#AUTO},
   * {@value #DEFAULT_MAX_LEVELS} values per nominal column, column kinds as the file says, no text
   * check.
   */
  public static ReadOptions defaults() {
    return new ReadOptions(null, MalformedRowPolicy.ABORT, DEFAULT_MAX_PROBLEMS, null, ',', TargetType.AUTO,
        DEFAULT_MAX_LEVELS, Set.of(), Set.of(), null);
  }

  /** The same options with this target column (null: the last column). */
  public ReadOptions withTarget(String name) {
    return new ReadOptions(name, policy, maxProblems, listener, separator, targetType, maxLevels, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options with this malformed-row policy. */
  public ReadOptions withPolicy(MalformedRowPolicy p) {
    return new ReadOptions(target, p, maxProblems, listener, separator, targetType, maxLevels, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options keeping at most this many problems. */
  public ReadOptions withMaxProblems(int max) {
    return new ReadOptions(target, policy, max, listener, separator, targetType, maxLevels, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options with this listener for skipped rows (null: none). */
  public ReadOptions withListener(Consumer<MalformedRowException> l) {
    return new ReadOptions(target, policy, maxProblems, l, separator, targetType, maxLevels, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options with this CSV separator. */
  public ReadOptions withSeparator(char c) {
    return new ReadOptions(target, policy, maxProblems, listener, c, targetType, maxLevels, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options with this target typing. */
  public ReadOptions withTargetType(TargetType t) {
    return new ReadOptions(target, policy, maxProblems, listener, separator, t, maxLevels, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options with this many distinct values allowed per CSV nominal column. */
  public ReadOptions withMaxLevels(int max) {
    return new ReadOptions(target, policy, maxProblems, listener, separator, targetType, max, textColumns,
        nominalColumns, textCheck);
  }

  /** The same options with these columns read as text (CSV) or required to be declared text (ARFF). */
  public ReadOptions withTextColumns(Set<String> names) {
    return new ReadOptions(target, policy, maxProblems, listener, separator, targetType, maxLevels, names,
        nominalColumns, textCheck);
  }

  /** The same options with these columns read as nominal (CSV) or required to be declared nominal (ARFF). */
  public ReadOptions withNominalColumns(Set<String> names) {
    return new ReadOptions(target, policy, maxProblems, listener, separator, targetType, maxLevels, textColumns,
        names, textCheck);
  }

  /** The same options with this check of each text value (null: none). */
  public ReadOptions withTextCheck(Function<String, String> check) {
    return new ReadOptions(target, policy, maxProblems, listener, separator, targetType, maxLevels, textColumns,
        nominalColumns, check);
  }
}
