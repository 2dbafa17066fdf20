package dev.auramoe.stream.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One column of a stream: numeric, nominal with a fixed, ordered list of values, or text. An
 * {@link Instance} holds a numeric value as itself and a nominal value as its index in
 * {@link #values()}; a text as itself beside the values ({@link Instance#text(int)}), its value
 * being 0; a missing value is NaN in every kind.
 */
public final class Attribute {

  /** Numeric, nominal or text. */
  public enum Kind {
    NUMERIC,
    NOMINAL,
    /**
     * Free text (an ARFF {@code string} attribute, a CSV column of phrases), which a learner turns
     * into features through a {@link dev.auramoe.TextEmbedder}; never a target.
     */
    TEXT
  }

  private final String name;
  private final Kind kind;
  private final List<String> values;
  private final Map<String, Integer> index;

  private Attribute(String name, Kind kind, List<String> values) {
    this.name = Objects.requireNonNull(name, "name");
    this.kind = kind;
    this.values = List.copyOf(values);
    this.index = new HashMap<>();
    for (int i = 0; i < this.values.size(); i++) {
      if (index.put(this.values.get(i), i) != null) {
        throw new IllegalArgumentException("attribute " + name + " lists the value '" + this.values.get(i) + "' twice");
      }
    }
  }

  /** A numeric attribute. */
  public static Attribute numeric(String name) {
    return new Attribute(name, Kind.NUMERIC, List.of());
  }

  /** A text attribute. */
  public static Attribute text(String name) {
    return new Attribute(name, Kind.TEXT, List.of());
  }

  /** A nominal attribute with these values, in this order (at least one). */
  public static Attribute nominal(String name, List<String> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("nominal attribute " + name + " needs at least one value");
    }
    return new Attribute(name, Kind.NOMINAL, values);
  }

  public String name() {
    return name;
  }

  public Kind kind() {
    return kind;
  }

  public boolean isNominal() {
    return kind == Kind.NOMINAL;
  }

  public boolean isText() {
    return kind == Kind.TEXT;
  }

  /** The nominal values in order; empty for a numeric or text attribute. */
  public List<String> values() {
    return values;
  }

  /** Number of nominal values (0 for numeric and text). */
  public int cardinality() {
    return values.size();
  }

  /** Index of a nominal value, or -1 when it is not one of this attribute's values. */
  public int indexOf(String value) {
    Integer i = index.get(value);
    return i == null ? -1 : i;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attribute a && a.name.equals(name) && a.kind == kind && a.values.equals(values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, kind, values);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case NUMERIC -> name + " numeric";
      case TEXT -> name + " text";
      case NOMINAL -> name + " {" + String.join(",", values) + "}";
    };
  }
}
