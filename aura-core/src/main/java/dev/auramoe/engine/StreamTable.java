package dev.auramoe.engine;

import dev.auramoe.MixtureOfExperts;
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
 * <p>The recency order is a doubly linked list threaded through the {@link StreamState}s
 * themselves, so keeping it costs no allocation per use. It holds every stream but the default one,
 * which is never evicted; a stream enters it at the recent end when it is opened and moves there
 * again on each {@link #touch}. Recency is bookkeeping for the caller, not model state: snapshots
 * and digests do not include it, and a loaded model starts with its streams in opening order.
 */
final class StreamTable {

  private final Map<String, StreamState> byId = new LinkedHashMap<>();
  /**
   * The ids in their natural order, for listing a page after a given id in O(log n + page) whether or
   * not that id is still open (a walk over pages lists every stream that stays open once).
   */
  private final NavigableSet<String> sorted = new TreeSet<>();
  /** Least recently used end of the recency list (null when it is empty). */
  private StreamState oldest;
  /** Most recently used end of the recency list. */
  private StreamState newest;

  /** The stream with this id, or null. */
  StreamState get(String id) {
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
  StreamState put(String id, StreamState s) {
    StreamState old = byId.put(id, s);
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
  StreamState remove(String id) {
    StreamState s = byId.remove(id);
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
  Collection<StreamState> values() {
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
  void touch(StreamState s, long stamp) {
    s.stamp = stamp;
    if (s == newest || MixtureOfExperts.DEFAULT_STREAM.equals(s.id)) {
      return;
    }
    unlink(s);
    linkNewest(s);
  }

  /** The stream other than the default one used least recently, or null when there is none. */
  StreamState leastRecentlyUsed() {
    return oldest;
  }

  /**
   * The latest stamp among the {@code n} least recently used streams (the default stream never
   * counts), or {@link Long#MIN_VALUE} when fewer than {@code n} are in the recency order. O(n).
   */
  long latestStampOfLeastRecentlyUsed(int n) {
    long latest = Long.MIN_VALUE;
    StreamState s = oldest;
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
    for (StreamState s = other.oldest; s != null; s = s.newer) {
      StreamState mine = byId.get(s.id);
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
    for (StreamState s : byId.values()) {
      s.stamp = stamp;
    }
  }

  private void linkNewest(StreamState s) {
    s.older = newest;
    s.newer = null;
    if (newest != null) {
      newest.newer = s;
    } else {
      oldest = s;
    }
    newest = s;
  }

  private void unlink(StreamState s) {
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
