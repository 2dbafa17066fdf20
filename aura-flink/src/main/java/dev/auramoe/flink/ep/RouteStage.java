package dev.auramoe.flink.ep;

import dev.auramoe.flink.LearnRecord;
import dev.auramoe.flink.ModelOptions;
import dev.auramoe.flink.Shard;
import dev.auramoe.routing.RouteBuffer;
import java.util.function.Consumer;

/**
 * A shard's route stage in the expert-parallel layout: its {@link Shard} (cell, router, balancer and
 * the streams, as in the data-parallel layout) routes each record without learning, and the token goes
 * to each chosen expert on an instance chosen by the spill rule (and, when the router reads the
 * experts' recent errors, to every other expert too, to be predicted only); the routing itself goes to
 * the shard's combine stage. At a record of epoch n the router is set to the version its combine stage
 * learned through epoch n - {@link EpOptions#LAG} (the latest one at or before it), and the stream's
 * recent errors to those its combine stage had at the end of that epoch. Not thread-safe.
 *
 * <p>The spill rule (least-loaded expert parallelism, per shard): the stage counts the tokens it sent
 * to each instance; a token of expert e goes to e's home instance unless that instance's count is at
 * least {@code (1 + spill)} times the mean count plus one, and then to the instance with the fewest
 * (the lowest index on a tie), whose replica of e computes it.
 */
public final class RouteStage {

  private final Shard shard;
  private final EpOptions ep;
  private final RouteBuffer buf;
  /** Whether the router reads the experts' recent errors (then every expert computes every token). */
  private final boolean recent;
  /** The epoch of the router version in use; -1 for the initial router. */
  private long applied;
  /**
   * The latest epoch whose end was awaited. Not state: a restored stage awaits again before it reads
   * anything, since the board it reads may not hold what its combine stage restored yet.
   */
  private long asked = Long.MIN_VALUE;
  private final long[] counts;
  private long sent;
  /** Scratch of one record: its experts in dispatch order, the instance of each, and per instance how many and how many learn. */
  private final int[] order;
  private final int[] at;
  private final int[] count;
  private final int[] learning;

  private RouteStage(Shard shard, EpOptions ep, long applied, long[] counts) {
    this.shard = shard;
    this.ep = ep;
    this.buf = shard.model().newRouteBuffer();
    this.recent = shard.model().config().recentErrors().enabled();
    this.applied = applied;
    this.counts = counts;
    for (long c : counts) {
      sent += c;
    }
    int experts = shard.model().expertCount();
    this.order = new int[experts];
    this.at = new int[experts];
    this.count = new int[counts.length];
    this.learning = new int[counts.length];
  }

  /** A stage that has routed nothing. */
  public static RouteStage fresh(int index, ModelOptions options, Shard.Initial initial, EpOptions ep) {
    return new RouteStage(Shard.fresh(index, options, initial), ep, -1, new long[ep.instances()]);
  }

  /** A stage restored from its shard's bytes and {@link #extra}. */
  public static RouteStage restore(Shard shard, long[] extra, EpOptions ep) {
    if (extra.length != 1 + ep.instances()) {
      throw new IllegalStateException("the route stage's state holds " + (extra.length - 1)
          + " instances' counts; --expert-instances must stay " + (extra.length - 1) + " (it is " + ep.instances() + ")");
    }
    return new RouteStage(shard, ep, extra[0], java.util.Arrays.copyOfRange(extra, 1, extra.length));
  }

  /** What the stage keeps beside its shard: the router version in use and the instances' counts. */
  public long[] extra() {
    long[] e = new long[1 + counts.length];
    e[0] = applied;
    System.arraycopy(counts, 0, e, 1, counts.length);
    return e;
  }

  /** The shard (replica and streams). */
  public Shard shard() {
    return shard;
  }

  /**
   * Routes a numbered record: one {@link Dispatch} per instance that computes it, then its {@link Routed}.
   */
  public void route(LearnRecord r, Shard.StreamStates states, RouterVersions versions, Consumer<Dispatch> dispatch,
      Consumer<Routed> routed) throws Exception {
    long need = ep.epochOf(r.seq) - EpOptions.LAG;
    if (need > asked) {
      RouterVersions.Version v = versions.await(shard.index(), need);
      asked = need;
      if (v != null && v.epoch() > applied) {
        shard.model().setRouterParameters(v.params());
        applied = v.epoch();
      }
    }
    if (need >= 0 && recent) {
      float[] rec = versions.recentErrors(shard.index(), r.stream, need);
      if (rec != null) {
        shard.holdStream(r.stream, states);
        shard.model().setRecentErrors(r.stream, rec);
      }
    }
    shard.route(r, states, buf);
    int k = buf.k();
    Routed t = new Routed();
    t.seq = r.seq;
    t.shard = shard.index();
    t.stream = r.stream;
    t.experts = java.util.Arrays.copyOf(buf.expertsArray(), k);
    t.weights = java.util.Arrays.copyOf(buf.weightsArray(), k);
    t.probs = buf.probabilitiesArray().clone();
    t.h = shard.model().state(r.stream);
    t.x = r.x;
    t.y = r.y;
    // One dispatch per instance, its chosen experts first; when the router reads every expert's recent
    // error, the others predict too, as in one JVM.
    int n = recent ? t.probs.length : k;
    System.arraycopy(t.experts, 0, order, 0, k);
    for (int e = 0, m = k; m < n; e++) {
      if (!chosen(t.experts, e)) {
        order[m++] = e;
      }
    }
    java.util.Arrays.fill(count, 0);
    java.util.Arrays.fill(learning, 0);
    for (int j = 0; j < n; j++) {
      at[j] = place(order[j]);
      count[at[j]]++;
      if (j < k) {
        learning[at[j]]++;
      }
    }
    for (int i = 0; i < count.length; i++) {
      if (count[i] == 0) {
        continue;
      }
      Dispatch d = new Dispatch();
      d.seq = r.seq;
      d.shard = shard.index();
      d.instance = i;
      d.experts = new int[count[i]];
      d.weights = new float[count[i]];
      d.learning = learning[i];
      d.x = r.x;
      d.y = r.y;
      for (int j = 0, m = 0; j < n; j++) {
        if (at[j] == i) {
          d.experts[m] = order[j];
          d.weights[m++] = j < k ? t.weights[j] : 0f;
        }
      }
      dispatch.accept(d);
    }
    routed.accept(t);
  }

  private static boolean chosen(int[] experts, int e) {
    for (int c : experts) {
      if (c == e) {
        return true;
      }
    }
    return false;
  }

  /** The instance a token of {@code expert} goes to, counted. */
  private int place(int expert) {
    int home = ep.home(expert);
    int j = home;
    if (ep.spill() > 0 && counts.length > 1 && counts[home] >= (1 + ep.spill()) * sent / counts.length + 1) {
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] < counts[j]) {
          j = i;
        }
      }
    }
    counts[j]++;
    sent++;
    return j;
  }
}
