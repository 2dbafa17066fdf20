package dev.auramoe.seq;

/**
 * What a sequence model predicts: one of {@code classes} classes (softmax cross-entropy; binary
 * tasks are two classes), or {@code targets} real values (mean squared error).
 */
public record Task(Kind kind, int size) {

  /** The kinds of head. */
  public enum Kind { CLASSIFICATION, REGRESSION }

  public Task {
    if (kind == null) {
      throw new IllegalArgumentException("task kind must be given");
    }
    if (kind == Kind.CLASSIFICATION ? size < 2 : size < 1) {
      throw new IllegalArgumentException(kind == Kind.CLASSIFICATION
          ? "a classification needs at least 2 classes, got " + size
          : "a regression needs at least 1 target, got " + size);
    }
  }

  /** A classification into {@code classes} classes. */
  public static Task classification(int classes) {
    return new Task(Kind.CLASSIFICATION, classes);
  }

  /** A regression of {@code targets} values. */
  public static Task regression(int targets) {
    return new Task(Kind.REGRESSION, targets);
  }

  /** Outputs per sequence: classes or targets. */
  public int outputs() {
    return size;
  }
}
