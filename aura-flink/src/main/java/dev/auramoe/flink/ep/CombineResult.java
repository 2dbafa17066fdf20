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
  /** The streams whose recent errors it learned (none when the router reads none). */
  public String[] streams;
  /** Their recent errors, by stream. */
  public float[][] recent;

  /** Wall-clock time (ms since the epoch) the stage last learned. */
  public long lastMillis;

  /** For Flink's POJO serializer. */
  public CombineResult() {}

  CombineResult(int shard, long records, double squaredError, float[] router, String[] streams, float[][] recent) {
    this.streams = streams;
    this.recent = recent;
    this.shard = shard;
    this.records = records;
    this.squaredError = squaredError;
    this.router = router;
  }
}
