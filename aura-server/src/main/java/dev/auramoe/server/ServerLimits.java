package dev.auramoe.server;

import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.server.wal.WriteAheadLog;
import java.time.Duration;

/**
 * Limits every request is checked against before any state changes.
 *
 * @param maxBodyBytes largest request body accepted, in bytes (default 1 MiB); a larger body is
 *     refused with 413 before it is parsed
 * @param maxBatch most rows one batch request may carry (default 4096); more is refused with 413
 * @param maxModels most models the registry holds at once (default 256); creating one more is
 *     refused with 409
 * @param maxParameters most float parameters one model may have, cell, router and experts together,
 *     with its open streams counted in (default 16M, 64 MiB); a larger configuration is refused with
 *     400, an expert or a stream that would take a model past it with 409 (a stream: or an eviction)
 * @param maxStreams most open streams per model, the default stream included, or 0 (the default) for
 *     as many as memory allows: each stream counts {@code hidden + 64} parameters (its cell state and
 *     its bookkeeping) against the model's {@code maxParameters} and the server's parameter budget
 *     (one parameter per 32 bytes of heap), so the cap follows from the heap and the model's size
 * @param streamIdleEviction when a model holds all the streams it may, opening one more first closes
 *     (evicts) its least recently used stream if that one has not been used for at least this long
 *     (default 60 s; zero evicts whatever is least recently used); null never evicts. A refused
 *     open answers 429 while the least recently used stream is busier than that, 409 when eviction
 *     is off. Evictions are logged, so a restart replays them
 * @param maxSnapshotBytes largest snapshot an import accepts ({@code POST /v1/models/{name}/import}, and
 *     {@code aura serve --import}), in bytes (default 128 MiB: twice a model of the default
 *     {@code maxParameters}, whose floats take 64 MiB); a larger body is refused with 413 before it is
 *     parsed. Snapshots are bodies of their own: the JSON bodies' {@code maxBodyBytes} does not apply. At
 *     most {@link #MAX_SNAPSHOT_BYTES}
 */
public record ServerLimits(int maxBodyBytes, int maxBatch, int maxModels, long maxParameters, int maxStreams,
    Duration streamIdleEviction, int maxSnapshotBytes) {

  /** The longest {@code streamIdleEviction}: about 292 years, the most nanoseconds a long holds. */
  public static final Duration MAX_STREAM_IDLE_EVICTION = Duration.ofNanos(Long.MAX_VALUE);

  /**
   * The largest {@code maxSnapshotBytes} (1 GiB): the most a snapshot's payload may hold
   * ({@link SnapshotFormat#MAX_PAYLOAD}) and the most one record of the operation log may hold
   * ({@link WriteAheadLog#MAX_PAYLOAD}), whichever is less. An import is one record that carries the
   * snapshot whole, so a larger limit would accept snapshots that neither could take.
   */
  public static final int MAX_SNAPSHOT_BYTES = (int) Math.min(SnapshotFormat.MAX_PAYLOAD, WriteAheadLog.MAX_PAYLOAD);

  /**
   * The defaults: 1 MiB bodies, 4096 rows per batch, 256 models, 16M parameters per model, streams
   * as memory allows, idle streams evicted after 60 s when room is needed, 128 MiB snapshots.
   */
  public static final ServerLimits DEFAULT = new ServerLimits(1 << 20, 4096, 256, 16L << 20, 0, Duration.ofSeconds(60),
      128 << 20);

  /** Validates. */
  public ServerLimits {
    if (maxBodyBytes < 1 || maxBatch < 1 || maxModels < 1 || maxParameters < 1 || maxSnapshotBytes < 1) {
      throw new IllegalArgumentException("every limit must be >= 1");
    }
    if (maxSnapshotBytes > MAX_SNAPSHOT_BYTES) {
      throw new IllegalArgumentException("maxSnapshotBytes must be at most " + MAX_SNAPSHOT_BYTES + " (1 GiB, the most"
          + " a snapshot and a record of the operation log carry), got " + maxSnapshotBytes);
    }
    if (maxStreams < 0) {
      throw new IllegalArgumentException("maxStreams must be >= 1, or 0 for as many as memory allows, got "
          + maxStreams);
    }
    if (streamIdleEviction != null && streamIdleEviction.isNegative()) {
      throw new IllegalArgumentException("streamIdleEviction must not be negative (null turns eviction off)");
    }
    if (streamIdleEviction != null && streamIdleEviction.compareTo(MAX_STREAM_IDLE_EVICTION) > 0) {
      throw new IllegalArgumentException("streamIdleEviction must be at most " + MAX_STREAM_IDLE_EVICTION.toSeconds()
          + " s (null turns eviction off), got " + streamIdleEviction);
    }
  }

  /** Copy with another body limit. */
  public ServerLimits withMaxBodyBytes(int bytes) {
    return new ServerLimits(bytes, maxBatch, maxModels, maxParameters, maxStreams, streamIdleEviction,
        maxSnapshotBytes);
  }

  /** Copy with another batch limit. */
  public ServerLimits withMaxBatch(int rows) {
    return new ServerLimits(maxBodyBytes, rows, maxModels, maxParameters, maxStreams, streamIdleEviction,
        maxSnapshotBytes);
  }

  /** Copy with another per-model parameter limit. */
  public ServerLimits withMaxParameters(long parameters) {
    return new ServerLimits(maxBodyBytes, maxBatch, maxModels, parameters, maxStreams, streamIdleEviction,
        maxSnapshotBytes);
  }

  /** Copy with another model limit. */
  public ServerLimits withMaxModels(int models) {
    return new ServerLimits(maxBodyBytes, maxBatch, models, maxParameters, maxStreams, streamIdleEviction,
        maxSnapshotBytes);
  }

  /** Copy with another cap on open streams per model (0: as many as memory allows). */
  public ServerLimits withMaxStreams(int streams) {
    return new ServerLimits(maxBodyBytes, maxBatch, maxModels, maxParameters, streams, streamIdleEviction,
        maxSnapshotBytes);
  }

  /** Copy with another idle time after which a stream may be evicted to make room (null: never). */
  public ServerLimits withStreamIdleEviction(Duration idle) {
    return new ServerLimits(maxBodyBytes, maxBatch, maxModels, maxParameters, maxStreams, idle, maxSnapshotBytes);
  }

  /** Copy with another limit on imported snapshots. */
  public ServerLimits withMaxSnapshotBytes(int bytes) {
    return new ServerLimits(maxBodyBytes, maxBatch, maxModels, maxParameters, maxStreams, streamIdleEviction, bytes);
  }
}
