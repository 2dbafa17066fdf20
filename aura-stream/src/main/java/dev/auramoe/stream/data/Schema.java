package dev.auramoe.stream.data;

import java.util.List;
import java.util.Objects;

/**
 * The columns of a stream and which one is the target. Classification when the target is nominal,
 * regression when it is numeric; a text column is never the target.
 */
public final class Schema {

  private final String relation;
  private final List<Attribute> attributes;
  private final int target;
  private final boolean hasText;

  /**
   * @param relation a name for the stream (ARFF's {@code @relation})
   * @param attributes the columns, target included
   * @param target index of the target column
   */
  public Schema(String relation, List<Attribute> attributes, int target) {
    this.relation = Objects.requireNonNull(relation, "relation");
    this.attributes = List.copyOf(attributes);
    if (this.attributes.size() < 2) {
      throw new IllegalArgumentException("a stream needs at least one input and a target, got "
          + this.attributes.size() + " column(s)");
    }
    if (target < 0 || target >= this.attributes.size()) {
      throw new IllegalArgumentException("target index " + target + " outside 0.." + (this.attributes.size() - 1));
    }
    if (this.attributes.get(target).isText()) {
      throw new IllegalArgumentException("the target " + this.attributes.get(target).name() + " is a text column; "
          + "a target is numeric or nominal");
    }
    this.target = target;
    this.hasText = this.attributes.stream().anyMatch(Attribute::isText);
  }

  public String relation() {
    return relation;
  }

  /** All columns, target included, in file order. */
  public List<Attribute> attributes() {
    return attributes;
  }

  public int size() {
    return attributes.size();
  }

  public Attribute attribute(int i) {
    return attributes.get(i);
  }

  public int targetIndex() {
    return target;
  }

  public Attribute target() {
    return attributes.get(target);
  }

  /** Whether the target is nominal. */
  public boolean isClassification() {
    return target().isNominal();
  }

  /** Number of classes of a nominal target (0 for regression). */
  public int classes() {
    return target().cardinality();
  }

  /** Whether any column is text. */
  public boolean hasText() {
    return hasText;
  }

  /** Index of the column with this name, or -1. */
  public int indexOf(String name) {
    for (int i = 0; i < attributes.size(); i++) {
      if (attributes.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The same columns with another target. */
  public Schema withTarget(int newTarget) {
    return new Schema(relation, attributes, newTarget);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schema s && s.relation.equals(relation) && s.attributes.equals(attributes) && s.target == target;
  }

  @Override
  public int hashCode() {
    return Objects.hash(relation, attributes, target);
  }

  @Override
  public String toString() {
    return "Schema[" + relation + ", " + attributes.size() + " columns, target " + target().name() + "]";
  }
}
