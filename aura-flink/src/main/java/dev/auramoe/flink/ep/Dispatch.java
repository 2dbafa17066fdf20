package dev.auramoe.flink.ep;

/**
 * One record sent to one expert instance: the experts of the instance that compute it, with their gate
 * weights, and the record's input and target (sent once per instance, as an all-to-all exchange of
 * expert parallelism does). The first {@link #learning} experts were chosen and learn from the record;
 * the others only predict it, for the stream's recent errors (the router reads every expert's). A
 * Flink POJO.
 */
public final class Dispatch {

  /** The record's place in the input (0, 1, ...). */
  public long seq;
  /** The shard that routed it (its combine stage gets the outputs). */
  public int shard;
  /** The instance whose replicas compute it. */
  public int instance;
  /** The experts, the chosen ones first, in the route's order. */
  public int[] experts;
  /** Their gate weights (0 for the experts that only predict). */
  public float[] weights;
  /** How many of the experts, from the first, learn. */
  public int learning;
  /** The input. */
  public float[] x;
  /** The target. */
  public float[] y;

  /** For Flink's POJO serializer. */
  public Dispatch() {}
}
