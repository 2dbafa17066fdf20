package dev.auramoe.flink.ep;

/** An expert replica's state when the input ends. A Flink POJO. */
public final class SlotResult {

  /** The expert. */
  public int expert;
  /** The instance that held the replica. */
  public int instance;
  /** Tokens it computed (learned or only predicted): its instance's load. */
  public long tokens;
  /** Tokens it learned: its weight in its expert. */
  public long learned;
  /** Its learnable state. */
  public float[] state;

  /** For Flink's POJO serializer. */
  public SlotResult() {}

  SlotResult(int expert, int instance, long tokens, long learned, float[] state) {
    this.expert = expert;
    this.instance = instance;
    this.tokens = tokens;
    this.learned = learned;
    this.state = state;
  }
}
