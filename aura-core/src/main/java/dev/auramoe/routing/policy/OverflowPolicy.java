package dev.auramoe.routing.policy;

/** What happens to a slot that finds its expert full. */
public enum OverflowPolicy {
  /**
   * The slot is removed and the token's remaining weights are renormalised; a token left with no
   * expert has no slot, and its output is the caller's default (the model uses zeros).
   */
  DROP,
  /** The slot moves to the token's next-best expert (by probability) that still has room; dropped when none has. */
  REROUTE,
  /**
   * The logical routing stays exactly the same; the work runs on the least-loaded replica of the
   * same expert ({@link CapacityLimiter#replica}), each replica having the full capacity.
   */
  SPILL
}
