package dev.auramoe.flink.ep;

/** An expert's prediction for one token, made before it learned from the token. A Flink POJO. */
public final class ExpertOutput {

  /** The record's place in the input. */
  public long seq;
  /** The shard that routed it. */
  public int shard;
  /** The expert. */
  public int expert;
  /** The prediction. */
  public float[] prediction;

  /** For Flink's POJO serializer. */
  public ExpertOutput() {}

  ExpertOutput(long seq, int shard, int expert, float[] prediction) {
    this.seq = seq;
    this.shard = shard;
    this.expert = expert;
    this.prediction = prediction;
  }
}
