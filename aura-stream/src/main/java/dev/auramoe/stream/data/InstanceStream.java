package dev.auramoe.stream.data;

import java.io.IOException;

/**
 * A source of instances: a file reader or a seeded generator. Not thread-safe.
 *
 * <p>{@link #next} fills the caller's instance so that a long stream allocates nothing per row.
 */
public interface InstanceStream extends AutoCloseable {

  /** The columns of every instance this stream gives. */
  Schema schema();

  /**
   * Fills {@code into} with the next instance.
   *
   * @return false at the end of the stream (generators may never end)
   * @throws IOException when the source cannot be read; {@link MalformedRowException} for a row
   *     that cannot be parsed when the stream is set to abort on one
   */
  boolean next(Instance into) throws IOException;

  @Override
  default void close() throws IOException {}
}
