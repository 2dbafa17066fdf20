package dev.auramoe.routing.policy;

/**
 * Expert capacity for a window, with the semantics users know from Tutel's
 * {@code capacity_factor}:
 *
 * <ul>
 *   <li>{@code factor > 0}: fixed, {@code ceil(factor * slots / experts)} slots per expert, where
 *       slots is the window's routed slots (tokens x experts per token);
 *   <li>{@code factor == 0}: never drop: the capacity is the largest load any expert received;
 *   <li>{@code factor < 0}: dynamic: the largest load any expert received, but at most
 *       {@code ceil(-factor * slots / experts)}.
 * </ul>
 *
 * Every capacity is clamped to [0, valid tokens]: an expert can never be given more room than the
 * window has tokens (a bug class in other MoE libraries, where capacity could exceed the batch).
 */
public final class Capacity {

  private Capacity() {}

  /**
   * @param factor the capacity factor, finite
   * @param slots real slots routed in the window
   * @param experts number of experts
   * @param maxLoad the largest number of slots any expert received
   * @param validTokens real tokens in the window
   * @return slots each expert may keep
   */
  public static int of(double factor, long slots, int experts, long maxLoad, int validTokens) {
    if (!Double.isFinite(factor)) {
      throw new IllegalArgumentException("capacity factor must be finite, got " + factor);
    }
    long c;
    if (factor > 0) {
      c = (long) Math.ceil(factor * slots / experts);
    } else if (factor == 0) {
      c = maxLoad;
    } else {
      c = Math.min(maxLoad, (long) Math.ceil(-factor * slots / experts));
    }
    return (int) Math.max(0, Math.min(validTokens, c));
  }
}
