package dev.auramoe.flink.ep;

import dev.auramoe.flink.ShardResult;

/** One part of the expert-parallel job's model, sent to the assembler when the input ends: exactly one field is set. A Flink POJO. */
public final class EpPart {

  /** A shard's route stage: its replica with its streams. */
  public ShardResult route;
  /** A shard's combine stage: its router. */
  public CombineResult combine;
  /** An expert replica. */
  public SlotResult slot;
  /** With a route part: the wall-clock time (ms since the epoch) its subtask routed its first record. */
  public long firstMillis;

  /** For Flink's POJO serializer. */
  public EpPart() {}

  static EpPart of(ShardResult r) {
    EpPart p = new EpPart();
    p.route = r;
    return p;
  }

  static EpPart of(CombineResult c) {
    EpPart p = new EpPart();
    p.combine = c;
    return p;
  }

  static EpPart of(SlotResult s) {
    EpPart p = new EpPart();
    p.slot = s;
    return p;
  }
}
