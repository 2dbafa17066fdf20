package dev.auramoe.flink;

/** What a run ends with: the combined model's digest and the run's counters. A Flink POJO. */
public final class JobSummary {

  /** Learner shards. */
  public int shards;
  /** Records learned. */
  public long records;
  /** Mean over the records of the squared error of the prequential prediction (predict, then learn). */
  public double mse;
  /** {@link dev.auramoe.Snapshots#digest} of the combined model. */
  public String digest;
  /** Size of the combined model's snapshot in bytes. */
  public long modelBytes;
  /**
   * The longest time a learner subtask spent between its first and its last record, in nanoseconds;
   * expert-parallel layout: from the first record routed to the last one learned (wall clocks).
   */
  public long activeNanos;

  /** Streams with a keyed state of their own. */
  public long streams;
  /** Keyed state when the input ended: the replicas' bytes. */
  public long replicaBytes;
  /** Keyed state when the input ended: the streams' bytes. */
  public long streamBytes;
  /** The most checkpoints a learner subtask took part in. */
  public long checkpoints;
  /** The longest time a learner subtask spent writing its streams and replicas into state, over all checkpoints. */
  public long checkpointNanos;

  /** Expert-parallel layout: tokens each expert instance computed; null otherwise. */
  public long[] instanceTokens;

  /** For Flink's POJO serializer. */
  public JobSummary() {}
}
