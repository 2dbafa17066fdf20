package dev.auramoe.server.wal;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning knobs of a {@link WriteAheadLog}; {@link #DEFAULTS} suits a service that acknowledges each
 * request once its record is durable.
 *
 * @param segmentBytes size at which the active segment file rolls over to a new one: a record that
 *     would take the segment past this size, with the batch marker and seal that may follow it (42
 *     bytes), starts a new segment (a record larger than this gets a segment of its own). Small
 *     values make {@link WriteAheadLog#trimBefore(long)} free space sooner at the cost of more files
 *     and two extra forces and a directory sync per roll; large values mean fewer files. Default
 *     64 MiB.
 * @param maxBatchBytes most record bytes (payload plus the 17-byte frame) the writer takes into one
 *     group commit; it always takes at least one record. 1 commits (and forces) every record on its
 *     own, so throughput is one record per disk flush; a large value lets one flush cover everything
 *     that queued while the previous flush ran. Default 1 MiB.
 * @param maxWait how long the writer lingers after the first queued record for more to arrive
 *     before it writes (it stops lingering early once {@code maxBatchBytes} are queued). Zero, the
 *     default, commits as soon as the writer is free: batches then form only from the records that
 *     queued during the previous write and flush, which keeps latency lowest. A small linger (say
 *     200 µs) trades that much latency for fewer flushes when appenders arrive one at a time.
 * @param maxQueuedBytes back-pressure: {@link WriteAheadLog#append(byte[])} blocks while this many
 *     record bytes wait for the writer (a single record larger than this is admitted once the queue
 *     is empty). Default 64 MiB.
 */
public record WalOptions(long segmentBytes, int maxBatchBytes, Duration maxWait, long maxQueuedBytes) {

  /** 64 MiB segments, 1 MiB batches, no linger, 64 MiB queue. */
  public static final WalOptions DEFAULTS = new WalOptions(64L << 20, 1 << 20, Duration.ZERO, 64L << 20);

  /** Validates the knobs. */
  public WalOptions {
    if (segmentBytes < 1) {
      throw new IllegalArgumentException("segmentBytes must be positive, got " + segmentBytes);
    }
    if (maxBatchBytes < 1) {
      throw new IllegalArgumentException("maxBatchBytes must be positive, got " + maxBatchBytes);
    }
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
    }
    if (maxQueuedBytes < 1) {
      throw new IllegalArgumentException("maxQueuedBytes must be positive, got " + maxQueuedBytes);
    }
  }

  /** These options with another segment size. */
  public WalOptions withSegmentBytes(long bytes) {
    return new WalOptions(bytes, maxBatchBytes, maxWait, maxQueuedBytes);
  }

  /** These options with another batch limit. */
  public WalOptions withMaxBatchBytes(int bytes) {
    return new WalOptions(segmentBytes, bytes, maxWait, maxQueuedBytes);
  }

  /** These options with another linger. */
  public WalOptions withMaxWait(Duration wait) {
    return new WalOptions(segmentBytes, maxBatchBytes, wait, maxQueuedBytes);
  }

  /** These options with another queue limit. */
  public WalOptions withMaxQueuedBytes(long bytes) {
    return new WalOptions(segmentBytes, maxBatchBytes, maxWait, bytes);
  }
}
