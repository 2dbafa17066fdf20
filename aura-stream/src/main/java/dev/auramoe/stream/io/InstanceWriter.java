package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.Writer;

/**
 * What {@link ArffWriter} and {@link CsvWriter} share: a buffered output, the schema every
 * instance must have, a reused line buffer, the count of records written and copying a stream.
 */
public abstract sealed class InstanceWriter implements Closeable, Flushable permits ArffWriter, CsvWriter {

  /** The buffered output. */
  final Writer out;
  /** The columns of every instance written. */
  final Schema schema;
  /** Reused for each record. */
  final StringBuilder line = new StringBuilder(256);
  private long written;

  /** Buffers {@code out} unless it already is. */
  InstanceWriter(Writer out, Schema schema, String what) {
    if (out == null || schema == null) {
      throw new IllegalArgumentException(what + " writer needs an output and a schema");
    }
    this.out = out instanceof BufferedWriter ? out : new BufferedWriter(out);
    this.schema = schema;
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
   * @throws IllegalArgumentException when its column count differs from the schema's or a nominal
   *     value is not the index of one of its attribute's values
   */
  public abstract void write(Instance instance) throws IOException;

  /** Number of records written so far, the header not counted. */
  public final long written() {
    return written;
  }

  /** The instance's values, checked against the schema's width; starts a new record in {@link #line}. */
  final double[] begin(Instance instance) {
    double[] v = instance.values();
    if (v.length != schema.size()) {
      throw new IllegalArgumentException("instance has " + v.length + " columns, the schema has " + schema.size());
    }
    line.setLength(0);
    return v;
  }

  /** Ends the record in {@link #line}: a line break, out to the buffer, counted. */
  final void end() throws IOException {
    line.append('\n');
    out.append(line);
    written++;
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
