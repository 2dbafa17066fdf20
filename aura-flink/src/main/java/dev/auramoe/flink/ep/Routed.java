package dev.auramoe.flink.ep;

/**
 * A routed record, as its combine stage needs it to mix the experts' outputs and teach the router: the
 * chosen experts and their weights, the route's probabilities over every expert, the router's features
 * (the stream's cell state after the route, and the input) and the target. A Flink POJO.
 */
public final class Routed {

  /** The record's place in the input. */
  public long seq;
  /** The shard. */
  public int shard;
  /** The stream. */
  public String stream;
  /** The chosen experts, in the route's order. */
  public int[] experts;
  /** Their gate weights. */
  public float[] weights;
  /** The route's probabilities, by expert. */
  public float[] probs;
  /** The cell state the record was routed with. */
  public float[] h;
  /** The input. */
  public float[] x;
  /** The target. */
  public float[] y;

  /** For Flink's POJO serializer. */
  public Routed() {}
}
