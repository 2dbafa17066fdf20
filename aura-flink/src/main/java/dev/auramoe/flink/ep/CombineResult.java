package dev.auramoe.flink.ep;

/** A shard's combine stage when the input ends: its router and counters. A Flink POJO. */
public final class CombineResult {

  /** The shard. */
  public int shard;
  /** Records mixed and learned. */
  public long records;
  /** Sum of the squared errors of the mixture's predictions. */
  public double squaredError;
  /** The router's parameters. */
  public float[] router;

  /** For Flink's POJO serializer. */
  public CombineResult() {}

  CombineResult(int shard, long records, double squaredError, float[] router) {
    this.shard = shard;
    this.records = records;
    this.squaredError = squaredError;
    this.router = router;
  }
}
