package dev.auramoe;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The open streams of a model: looked up by id in constant time, listed in opening order (the order
 * snapshots write them in) or page by page in id order, and kept in a recency order for callers
 * that bound the number of streams and evict the least recently used one. Lookups and recency
 * updates are O(1) and allocate nothing; opening and closing are O(log n) (the id index); a page
 * of ids is O(log n + page). Not thread-safe: the model uses it under its lock.
 *
 * <p>The recency order is a doubly linked list threaded through the {@link MixtureOfExperts.StreamState}s
 * themselves, so keeping it costs no allocation per use. It holds every stream but the default one,
 * which is never evicted; a stream enters it at the recent end when it is opened and moves there
 * again on each {@link #touch}. Recency is bookkeeping for the caller, not model state: snapshots
 * and digests do not include it, and a loaded model starts with its streams in opening order.
 *
 * <p>The table also holds the bound on the streams ({@link StreamLimits}): {@link #open} evicts the
 * least recently used streams or refuses, as the limits say, in time independent of the number of
 * streams (one eviction per open while the cap holds). Routing a stream ({@link #routed}) counts
 * its use and, with {@link StreamLimits.Recency#ROUTES}, stamps it; it allocates nothing.
 */
final class StreamTable {

  private final Map<String, MixtureOfExperts.StreamState> byId = new LinkedHashMap<>();
  /**
   * The ids in their natural order, for listing a page after a given id in O(log n + page) whether or
   * not that id is still open (a walk over pages lists every stream that stays open once).
   */
  private final NavigableSet<String> sorted = new TreeSet<>();
  /** Least recently used end of the recency list (null when it is empty). */
  private MixtureOfExperts.StreamState oldest;
  /** Most recently used end of the recency list. */
  private MixtureOfExperts.StreamState newest;
  private StreamLimits limits = StreamLimits.UNLIMITED;
  /** Whether each routed input stamps its stream ({@link StreamLimits.Recency#ROUTES}). */
  private boolean stampRoutes;
  /** Told of each eviction before it happens, or null. */
  private StreamEvictionListener listener;
  /**
   * The latest stamp any stream was given: "now" for an open without a stamp, and the count of
   * routed inputs with {@link StreamLimits.Recency#ROUTES}.
   */
  private long clock;
  /** Streams evicted since the table was made (carried over by expert changes). */
  private long evicted;

  /** The stream with this id, or null. */
  MixtureOfExperts.StreamState get(String id) {
    return byId.get(id);
  }

  boolean containsKey(String id) {
    return byId.containsKey(id);
  }

  /**
   * Adds a stream at the recent end of the recency order (the default stream stays out of it).
   *
   * @return the stream it replaced, or null; a replaced stream leaves the recency order
   */
  MixtureOfExperts.StreamState put(String id, MixtureOfExperts.StreamState s) {
    MixtureOfExperts.StreamState old = byId.put(id, s);
    if (old != null) {
      unlink(old);
    } else {
      sorted.add(id);
    }
    if (!MixtureOfExperts.DEFAULT_STREAM.equals(id)) {
      linkNewest(s);
    }
    return old;
  }

  /** Removes a stream; returns it, or null when there was none. */
  MixtureOfExperts.StreamState remove(String id) {
    MixtureOfExperts.StreamState s = byId.remove(id);
    if (s != null) {
      unlink(s);
      sorted.remove(id);
    }
    return s;
  }

  void clear() {
    byId.clear();
    sorted.clear();
    oldest = null;
    newest = null;
  }

  /** The streams in opening order (a live view: do not change the table while iterating it). */
  Collection<MixtureOfExperts.StreamState> values() {
    return byId.values();
  }

  int size() {
    return byId.size();
  }

  /** The ids in opening order, copied. */
  List<String> ids() {
    return List.copyOf(byId.keySet());
  }

  /**
   * Up to {@code limit} ids in their natural (code unit) order, each greater than {@code after}
   * (from the first when null), copied. {@code after} need not be open.
   */
  List<String> idsAfter(String after, int limit) {
    List<String> page = new ArrayList<>(Math.min(limit, sorted.size()));
    for (String id : after == null ? sorted : sorted.tailSet(after, false)) {
      if (page.size() == limit) {
        break;
      }
      page.add(id);
    }
    return page;
  }

  /** Moves a stream of this table to the recent end of the recency order and records {@code stamp}. */
  void touch(MixtureOfExperts.StreamState s, long stamp) {
    s.stamp = stamp;
    clock = Math.max(clock, stamp);
    if (s == newest || MixtureOfExperts.DEFAULT_STREAM.equals(s.id)) {
      return;
    }
    unlink(s);
    linkNewest(s);
  }

  /** The stream other than the default one used least recently, or null when there is none. */
  MixtureOfExperts.StreamState leastRecentlyUsed() {
    return oldest;
  }

  /**
   * The latest stamp among the {@code n} least recently used streams (the default stream never
   * counts), or {@link Long#MIN_VALUE} when fewer than {@code n} are in the recency order. O(n).
   */
  long latestStampOfLeastRecentlyUsed(int n) {
    long latest = Long.MIN_VALUE;
    MixtureOfExperts.StreamState s = oldest;
    for (int i = 0; i < n; i++, s = s.newer) {
      if (s == null) {
        return Long.MIN_VALUE;
      }
      latest = Math.max(latest, s.stamp);
    }
    return latest;
  }

  /** Gives this table the recency order and stamps of {@code other}, for the streams both hold. */
  void copyRecency(StreamTable other) {
    copyRecency(other, 0, false);
  }

  /**
   * Gives this table the recency order and stamps of {@code other} for the streams both hold; with
   * {@code stampOthers} the streams only this table holds become the most recently used ones (in
   * opening order) with stamp {@code stamp}, so that they count as used then.
   */
  void copyRecency(StreamTable other, long stamp, boolean stampOthers) {
    int common = 0;
    for (MixtureOfExperts.StreamState s = other.oldest; s != null; s = s.newer) {
      MixtureOfExperts.StreamState mine = byId.get(s.id);
      if (mine != null) {
        touch(mine, s.stamp);
        common++;
      }
    }
    if (!stampOthers) {
      return;
    }
    // The streams not touched above are still at the old end, in opening order.
    int others = byId.size() - (byId.containsKey(MixtureOfExperts.DEFAULT_STREAM) ? 1 : 0) - common;
    for (int i = 0; i < others; i++) {
      touch(oldest, stamp);
    }
  }

  /** Stamps every stream with {@code stamp}, keeping the recency order. */
  void stampAll(long stamp) {
    clock = Math.max(clock, stamp);
    for (MixtureOfExperts.StreamState s : byId.values()) {
      s.stamp = stamp;
    }
  }

  // ---------------------------------------------------------------- the bound on the streams

  StreamLimits limits() {
    return limits;
  }

  void setLimits(StreamLimits l) {
    limits = java.util.Objects.requireNonNull(l, "limits");
    stampRoutes = l.recency() == StreamLimits.Recency.ROUTES;
  }

  void setListener(StreamEvictionListener l) {
    listener = l;
  }

  /** The latest stamp any stream was given (see {@link #clock}). */
  long clock() {
    return clock;
  }

  long evicted() {
    return evicted;
  }

  /** Gives this table the limits, listener, clock and eviction count of {@code other} (a model it replaces). */
  void carrySettings(StreamTable other) {
    setLimits(other.limits);
    listener = other.listener;
    clock = Math.max(clock, other.clock);
    evicted = other.evicted;
  }

  /** Counts a routed input of a stream of this table; stamps it with the next route with ROUTES recency. */
  void routed(MixtureOfExperts.StreamState s) {
    s.routes++;
    if (stampRoutes) {
      touch(s, clock + 1);
    }
  }

  /**
   * Adds a stream that is not open, as used at {@code now}, first evicting what the limits say.
   *
   * @throws StreamCapacityException (nothing changed) when the limits refuse it
   */
  void open(MixtureOfExperts.StreamState s, long now) {
    int n = evictionsToOpen(now, limits.maxStreams());
    for (int i = 0; i < n; i++) {
      evict(oldest);
    }
    put(s.id, s);
    touch(s, now);
  }

  /** Puts {@code s} in place of the open stream with its id, as used at {@code now}. */
  void replace(MixtureOfExperts.StreamState s, long now) {
    put(s.id, s);
    touch(s, now);
  }

  /**
   * The ids of the streams that opening one more at {@code now} would evict under a cap of at most
   * {@code max} (and at most the limits' own), least recently used first.
   */
  List<String> toEvict(long now, int max) {
    int n = evictionsToOpen(now, Math.min(max, limits.maxStreams()));
    List<String> ids = new ArrayList<>(n);
    for (MixtureOfExperts.StreamState s = oldest; ids.size() < n; s = s.newer) {
      ids.add(s.id);
    }
    return ids;
  }

  /** Evicts a stream of this table other than the default one: tells the listener, then removes and counts it. */
  void evict(MixtureOfExperts.StreamState s) {
    if (listener != null) {
      listener.evicting(s.id, StreamStateCodec.encodeOrNull(s));
    }
    remove(s.id);
    evicted++;
  }

  /**
   * How many least recently used streams opening one more at {@code now} evicts under a cap of
   * {@code max}: 0 below the cap, enough to end one under it at or above it.
   *
   * @throws StreamCapacityException when the limits refuse, too few streams may be evicted, or the
   *     ones to evict have not been idle long enough
   */
  private int evictionsToOpen(long now, int max) {
    int open = byId.size();
    if (open < max) {
      return 0;
    }
    int n = open - max + 1;
    String full = "the model holds " + open + " open streams, " + (open == max ? "its most" : "more than its most of "
        + max) + " (the default stream included)";
    if (limits.whenFull() == StreamLimits.WhenFull.REFUSE) {
      throw new StreamCapacityException(full + "; close a stream first (its stream limits refuse rather than evict)",
          open, max, n, -1);
    }
    int evictable = open - (byId.containsKey(MixtureOfExperts.DEFAULT_STREAM) ? 1 : 0);
    if (evictable < n) {
      throw new StreamCapacityException(full + "; " + (n == 1 ? "there is no stream to evict but the default one"
          : "it would have to evict " + n + " streams and holds only " + evictable + " but the default one"),
          open, max, n, -1);
    }
    long idle = saturatedDifference(now, latestStampOfLeastRecentlyUsed(n));
    long minIdle = limits.minIdle();
    if (idle < minIdle) {
      String unit = stampRoutes ? " routed inputs" : " stamps";
      throw new StreamCapacityException(full + "; " + (n == 1 ? "the least recently used stream, '" + oldest.id + "',"
          : "the busiest of the " + n + " least recently used streams, which it would have to evict,")
          + " was used " + idle + unit + " ago, and a stream is evicted only once idle for " + minIdle + unit,
          open, max, n, saturatedDifference(minIdle, idle));
    }
    return n;
  }

  /** {@code a - b}, held at the ends of the long range rather than wrapping around. */
  private static long saturatedDifference(long a, long b) {
    long d = a - b;
    // Overflow when a and b differ in sign and the result's sign differs from a's.
    return ((a ^ b) & (a ^ d)) < 0 ? (a < b ? Long.MIN_VALUE : Long.MAX_VALUE) : d;
  }

  private void linkNewest(MixtureOfExperts.StreamState s) {
    s.older = newest;
    s.newer = null;
    if (newest != null) {
      newest.newer = s;
    } else {
      oldest = s;
    }
    newest = s;
  }

  private void unlink(MixtureOfExperts.StreamState s) {
    if (s.older != null) {
      s.older.newer = s.newer;
    } else if (oldest == s) {
      oldest = s.newer;
    }
    if (s.newer != null) {
      s.newer.older = s.older;
    } else if (newest == s) {
      newest = s.older;
    }
    s.older = null;
    s.newer = null;
  }
}
