package dev.auramoe.flink.ep;

/** One instance's experts' predictions for one record, made before they learned from it. A Flink POJO. */
public final class ExpertOutput {

  /** The record's place in the input. */
  public long seq;
  /** The shard that routed it. */
  public int shard;
  /** The experts. */
  public int[] experts;
  /** Their predictions, in the order of {@link #experts}. */
  public float[][] predictions;

  /** For Flink's POJO serializer. */
  public ExpertOutput() {}
}
