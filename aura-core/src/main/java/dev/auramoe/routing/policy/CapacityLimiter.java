package dev.auramoe.routing.policy;

import java.util.Arrays;

/**
 * Enforces expert capacity on an {@link Assignment}, after any routing policy. Tokens are served
 * in window order; a slot beyond its expert's capacity is handled by the {@link OverflowPolicy}.
 * Padding tokens have no slots and take no capacity. With DROP and REROUTE the weights of each
 * token's kept slots are its probabilities renormalised over them; SPILL changes no slot.
 *
 * <p>Not thread-safe; reusable across windows.
 */
public final class CapacityLimiter {

  private final double factor;
  private final OverflowPolicy overflow;
  private final int replicas;
  private long[] used = new long[0];
  private long[] load = new long[0];
  private int[] replica = new int[0];
  private long[] replicaLoad = new long[0];
  private int lastCapacity;
  private int lastDropped;
  private int lastRerouted;
  private final Assignment scratch = new Assignment();
  private float[] row = new float[0];
  private boolean[] taken = new boolean[0];

  /**
   * @param factor capacity factor (see {@link Capacity})
   * @param overflow what to do with a slot that finds its expert full
   * @param replicas replicas per expert for {@link OverflowPolicy#SPILL} (&gt;= 1; 1 for the others)
   */
  public CapacityLimiter(double factor, OverflowPolicy overflow, int replicas) {
    if (!Double.isFinite(factor)) {
      throw new IllegalArgumentException("capacity factor must be finite, got " + factor);
    }
    if (replicas < 1) {
      throw new IllegalArgumentException("replicas must be >= 1, got " + replicas);
    }
    this.factor = factor;
    this.overflow = java.util.Objects.requireNonNull(overflow, "overflow");
    this.replicas = replicas;
  }

  /** Capacity per expert (per replica for SPILL) in the last window. */
  public int lastCapacity() {
    return lastCapacity;
  }

  /** Slots dropped in the last window. */
  public int lastDropped() {
    return lastDropped;
  }

  /** Slots rerouted in the last window. */
  public int lastRerouted() {
    return lastRerouted;
  }

  /** For SPILL: the replica that runs slot s of the last window (0 for the other policies). */
  public int replica(int s) {
    return overflow == OverflowPolicy.SPILL ? replica[s] : 0;
  }

  /**
   * Applies capacity to {@code a} in place.
   *
   * @param p the problem the assignment was made for (probabilities for rerouting); not modified
   */
  public void apply(RoutingProblem p, Assignment a) {
    int e = p.experts;
    if (load.length < e) {
      load = new long[e];
      used = new long[e];
      row = new float[e];
      taken = new boolean[e];
    }
    Arrays.fill(load, 0, e, 0);
    a.addLoad(load);
    long max = 0;
    for (int i = 0; i < e; i++) {
      max = Math.max(max, load[i]);
    }
    int cap = Capacity.of(factor, a.realSlots(), e, max, p.validTokens());
    lastCapacity = cap;
    lastDropped = 0;
    lastRerouted = 0;
    Arrays.fill(used, 0, e, 0);
    if (overflow == OverflowPolicy.SPILL) {
      spill(a, e, cap);
      return;
    }
    scratch.reset(a.tokens(), e);
    for (int t = 0; t < a.tokens(); t++) {
      Arrays.fill(taken, 0, e, false);
      for (int s = a.start(t); s < a.end(t); s++) {
        if (a.expert(s) != Assignment.NULL_EXPERT) {
          taken[a.expert(s)] = true;
        }
      }
      for (int s = a.start(t); s < a.end(t); s++) {
        int ex = a.expert(s);
        if (ex == Assignment.NULL_EXPERT) {
          scratch.add(ex, 0f);
          continue;
        }
        if (used[ex] < cap) {
          used[ex]++;
          scratch.add(ex, p.probability(t, ex));
          continue;
        }
        int alt = overflow == OverflowPolicy.REROUTE ? nextBest(p, t, e, cap) : -1;
        if (alt >= 0) {
          used[alt]++;
          taken[alt] = true;
          scratch.add(alt, p.probability(t, alt));
          lastRerouted++;
        } else {
          lastDropped++;
        }
      }
      scratch.endToken(t);
      scratch.normalise(t);
    }
    a.copyFrom(scratch);
  }

  private int nextBest(RoutingProblem p, int t, int e, int cap) {
    int best = -1;
    float bp = -1f;
    for (int i = 0; i < e; i++) {
      if (!taken[i] && used[i] < cap) {
        float pi = p.probability(t, i);
        if (pi > bp) {
          bp = pi;
          best = i;
        }
      }
    }
    return best;
  }

  private void spill(Assignment a, int e, int cap) {
    int n = a.tokens() == 0 ? 0 : a.end(a.tokens() - 1);
    if (replica.length < n) {
      replica = new int[n];
    }
    if (replicaLoad.length < e * replicas) {
      replicaLoad = new long[e * replicas];
    }
    Arrays.fill(replicaLoad, 0, e * replicas, 0);
    for (int s = 0; s < n; s++) {
      int ex = a.expert(s);
      if (ex == Assignment.NULL_EXPERT) {
        continue;
      }
      // The least-loaded replica of the same expert; the logical routing is untouched.
      int best = 0;
      for (int r = 1; r < replicas; r++) {
        if (replicaLoad[ex * replicas + r] < replicaLoad[ex * replicas + best]) {
          best = r;
        }
      }
      replica[s] = best;
      replicaLoad[ex * replicas + best]++;
    }
    lastCapacity = cap;
  }
}
