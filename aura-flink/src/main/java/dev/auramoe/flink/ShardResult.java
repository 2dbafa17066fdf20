package dev.auramoe.flink;

/**
 * A shard's final model (its replica with its streams, as snapshot bytes) and its counters, emitted
 * when the input ends. A Flink POJO.
 */
public final class ShardResult {

  /** The shard's index. */
  public int shard;
  /** Records the shard learned. */
  public long records;
  /** Sum of the squared errors of its prequential predictions. */
  public double squaredError;
  /** The model, as {@link dev.auramoe.Snapshots#toBytes} writes it. */
  public byte[] model;
  /** Nanoseconds between the first and the last record of the subtask that learned the shard. */
  public long activeNanos;

  /** For Flink's POJO serializer. */
  public ShardResult() {}

  /** A result of these values (the bytes not copied). */
  public ShardResult(int shard, long records, double squaredError, byte[] model) {
    this.shard = shard;
    this.records = records;
    this.squaredError = squaredError;
    this.model = model;
  }
}
