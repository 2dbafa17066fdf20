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
  /** Checkpoints the subtask took part in, and the time it spent writing its streams and replicas into state. */
  public long checkpoints;
  /** See {@link #checkpoints}. */
  public long checkpointNanos;
  /** Size of the shard's replica in its keyed state. */
  public long replicaBytes;
  /** Streams of the shard with a state of their own (the default one is in the replica). */
  public long streams;
  /** Bytes of those streams' keyed state: exported state, id (as chars) and position. */
  public long streamBytes;

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
