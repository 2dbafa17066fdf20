package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.util.List;

/**
 * The first {@code n} instances of another stream (fewer when that one ends first). It passes on the known drifts
 * of a {@link DriftingStream} that fall within its first {@code n} instances, and has none otherwise.
 */
public final class LimitedStream implements DriftingStream {

  private final InstanceStream source;
  private final long limit;
  private long produced;

  private LimitedStream(InstanceStream source, long limit) {
    this.source = source;
    this.limit = limit;
  }

  /**
   * The first {@code n} instances of {@code source}.
   *
   * @throws IllegalArgumentException when {@code n < 0}
   */
  public static LimitedStream of(InstanceStream source, long n) {
    if (source == null) {
      throw new IllegalArgumentException("source stream is null");
    }
    if (n < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + n);
    }
    return new LimitedStream(source, n);
  }

  @Override
  public Schema schema() {
    return source.schema();
  }

  /** The most instances this stream gives. */
  public long limit() {
    return limit;
  }

  /** How many instances this stream has given so far. */
  public long produced() {
    return produced;
  }

  @Override
  public boolean next(Instance into) throws IOException {
    if (produced >= limit || !source.next(into)) {
      return false;
    }
    produced++;
    return true;
  }

  /** The drifts of the wrapped stream at positions below the limit; empty when it is not a drifting stream. */
  @Override
  public List<Drift> drifts() {
    if (source instanceof DriftingStream d) {
      return d.drifts().stream().filter(x -> x.position() < limit).toList();
    }
    return List.of();
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
