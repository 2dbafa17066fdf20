package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;

/**
 * What {@link ArffWriter} and {@link CsvWriter} share: a buffered output, the schema every
 * instance must have, a record as comma-separated values in a reused line buffer (numbers in their
 * shortest exact form, nominal values as their names and texts as themselves, quoted as the format
 * wants), the count of
 * records written and copying a stream. A format gives its spelling of a missing value and its
 * quoting.
 */
public abstract sealed class InstanceWriter implements Closeable, Flushable permits ArffWriter, CsvWriter {

  /** The buffered output. */
  final Writer out;
  /** The columns of every instance written. */
  final Schema schema;
  /** Reused for each record. */
  private final StringBuilder line = new StringBuilder(256);
  /** A missing value (NaN) as the format writes it. */
  private final String missing;
  private long written;

  /**
   * Buffers {@code out} unless it already is.
   *
   * @param what the format with its article ("a CSV"), for the error
   * @param missing how the format writes a missing value
   */
  InstanceWriter(Writer out, Schema schema, String what, String missing) {
    if (out == null || schema == null) {
      throw new IllegalArgumentException(what + " writer needs an output and a schema");
    }
    this.out = out instanceof BufferedWriter ? out : new BufferedWriter(out);
    this.schema = schema;
    this.missing = missing;
  }

  /** Opens a writer of one format on a new file, writing the header of the schema. */
  @FunctionalInterface
  interface Opener {
    InstanceWriter open(Path path, Schema schema) throws IOException;
  }

  /**
   * Writes the first {@code n} instances of {@code stream} (fewer if it ends first) to a new file
   * at {@code path} that {@code opener} opens, and closes the file. The stream is not closed.
   *
   * @return the number of instances written
   */
  static long writeFile(Opener opener, InstanceStream stream, Path path, long n) throws IOException {
    checkCount(n);
    try (InstanceWriter w = opener.open(path, stream.schema())) {
      return w.writeAll(stream, n);
    }
  }

  /**
   * Writes the first {@code n} instances of {@code stream} (fewer if it ends first) and returns how
   * many were written. Neither the stream nor this writer is closed.
   */
  public final long writeAll(InstanceStream stream, long n) throws IOException {
    checkCount(n);
    if (!stream.schema().equals(schema)) {
      throw new IllegalArgumentException("stream schema " + stream.schema() + " differs from the writer's " + schema);
    }
    Instance row = new Instance(schema);
    long count = 0;
    while (count < n && stream.next(row)) {
      write(row);
      count++;
    }
    return count;
  }

  /**
   * Writes one instance as a record.
   *
   * @throws IllegalArgumentException when its column count differs from the schema's, a nominal
   *     value is not the index of one of its attribute's values, or a text column's text is absent
   *     while its value is not missing
   */
  public final void write(Instance instance) throws IOException {
    double[] v = instance.values();
    if (v.length != schema.size()) {
      throw new IllegalArgumentException("instance has " + v.length + " columns, the schema has " + schema.size());
    }
    line.setLength(0);
    for (int i = 0; i < v.length; i++) {
      if (i > 0) {
        line.append(',');
      }
      double x = v[i];
      Attribute a = schema.attribute(i);
      if (Double.isNaN(x)) {
        line.append(missing);
      } else if (a.isText()) {
        String text = instance.text(i);
        if (text == null) {
          throw new IllegalArgumentException("text column " + a.name() + " has no text and its value is not "
              + "missing");
        }
        line.append(quoted(text));
      } else if (a.isNominal()) {
        line.append(quoted(a.values().get(nominalIndex(a, x))));
      } else {
        NumberText.append(line, x);
      }
    }
    line.append('\n');
    out.append(line);
    written++;
  }

  /** A name or nominal value as the format writes it: quoted where it needs to be. */
  abstract String quoted(String text);

  /** Number of records written so far, the header not counted. */
  public final long written() {
    return written;
  }

  private static int nominalIndex(Attribute a, double x) {
    int k = (int) x;
    if (k != x || k < 0 || k >= a.cardinality()) {
      throw new IllegalArgumentException("value " + x + " of nominal attribute " + a.name()
          + " is not an index in 0.." + (a.cardinality() - 1));
    }
    return k;
  }

  static void checkCount(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("number of instances to write must be >= 0, got " + n);
    }
  }

  @Override
  public final void flush() throws IOException {
    out.flush();
  }

  @Override
  public final void close() throws IOException {
    out.close();
  }
}
