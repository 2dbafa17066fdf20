package dev.auramoe.flink.ep;

/** One token sent to one expert: the record's input and target with the expert's gate weight. A Flink POJO. */
public final class Dispatch {

  /** The record's place in the input (0, 1, ...). */
  public long seq;
  /** The shard that routed it (its combine stage gets the output). */
  public int shard;
  /** The expert. */
  public int expert;
  /** The instance whose replica of the expert computes it. */
  public int instance;
  /** The expert's gate weight: its output's weight in the mixture and its learning credit. */
  public float weight;
  /**
   * Whether the expert was chosen and learns from the token; otherwise it only predicts, for the
   * stream's recent errors (the router reads every expert's).
   */
  public boolean learn;
  /** The input. */
  public float[] x;
  /** The target. */
  public float[] y;

  /** For Flink's POJO serializer. */
  public Dispatch() {}

  Dispatch(long seq, int shard, int expert, int instance, float weight, boolean learn, float[] x, float[] y) {
    this.learn = learn;
    this.seq = seq;
    this.shard = shard;
    this.expert = expert;
    this.instance = instance;
    this.weight = weight;
    this.x = x;
    this.y = y;
  }
}
