package dev.auramoe.engine;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.util.Collection;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The streams of a model: what a new stream is made of (a zero state of the cell's size, fresh
 * attention when configured), lookup by id with the model's errors, and the {@link StreamTable}'s
 * listing and recency order. The {@value MixtureOfExperts#DEFAULT_STREAM} stream always exists. Not
 * thread-safe: the model calls it under its lock.
 */
public final class Streams {

  private final StreamTable table = new StreamTable();
  private final int hidden;
  private final AttentionConfig attention;

  Streams(int hidden, AttentionConfig attention) {
    this.hidden = hidden;
    this.attention = attention;
    table.put(MixtureOfExperts.DEFAULT_STREAM, newStream(MixtureOfExperts.DEFAULT_STREAM));
  }

  StreamState newStream(String id) {
    return new StreamState(id, hidden, attention);
  }

  /**
   * The open stream with this id.
   *
   * @throws NoSuchElementException when it is not open
   */
  StreamState get(String id) {
    StreamState s = table.get(id);
    if (s == null) {
      throw new NoSuchElementException("unknown stream '" + id + "' (open it with openStream)");
    }
    return s;
  }

  /** Throws {@link NoSuchElementException} unless the stream is open. */
  public void require(String id) {
    get(id);
  }

  /** Opens a stream with a zero state; a blank or open id is an {@link IllegalArgumentException}. */
  public void open(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("stream id must not be blank");
    }
    if (table.containsKey(id)) {
      throw new IllegalArgumentException("stream '" + id + "' is already open");
    }
    table.put(id, newStream(id));
  }

  /** Opens a stream unless it is open already. */
  public void ensure(String id) {
    if (!table.containsKey(id)) {
      open(id);
    }
  }

  /**
   * Closes an open stream ({@link NoSuchElementException} otherwise); the default stream cannot be
   * closed ({@link IllegalArgumentException}).
   */
  public void close(String id) {
    if (MixtureOfExperts.DEFAULT_STREAM.equals(id)) {
      throw new IllegalArgumentException("the default stream cannot be closed");
    }
    get(id);
    table.remove(id);
  }

  public boolean contains(String id) {
    return table.containsKey(id);
  }

  public int size() {
    return table.size();
  }

  /** The ids in opening order, copied. */
  public List<String> ids() {
    return table.ids();
  }

  /** A page of ids in their natural order after {@code after} (see {@link StreamTable#idsAfter}). */
  public List<String> idsAfter(String after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, got " + limit);
    }
    return table.idsAfter(after, limit);
  }

  /** Records a use of a stream; false, changing nothing, when it is not open. */
  public boolean touch(String id, long stamp) {
    StreamState s = table.get(id);
    if (s == null) {
      return false;
    }
    table.touch(s, stamp);
    return true;
  }

  /** The id of the least recently used stream other than the default one, or null. */
  public String leastRecentlyUsed() {
    StreamState s = table.leastRecentlyUsed();
    return s == null ? null : s.id;
  }

  /** See {@link StreamTable#latestStampOfLeastRecentlyUsed}; n must be at least 1. */
  public long latestStampOfLeastRecentlyUsed(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    return table.latestStampOfLeastRecentlyUsed(n);
  }

  public void stampAll(long stamp) {
    table.stampAll(stamp);
  }

  /** Takes over {@code from}'s recency; streams only here become the most recent, with {@code stamp}. */
  public void copyRecency(Streams from, long stamp) {
    table.copyRecency(from.table, stamp, true);
  }

  /** The stamp of a stream's last use. */
  public long stamp(String id) {
    return get(id).stamp;
  }

  /** Resets one stream's state (cell state, attention, route count). */
  public void reset(String id) {
    get(id).reset();
  }

  public void resetAll() {
    for (StreamState s : table.values()) {
      s.reset();
    }
  }

  /** A copy of a stream's cell state. */
  public float[] state(String id) {
    return get(id).h.clone();
  }

  /** A copy of a stream's attention, or null when attention is not configured. */
  public SpikingAttention attention(String id) {
    SpikingAttention a = get(id).attention;
    return a == null ? null : a.copy();
  }

  // ------------------------------------------------------------ for snapshots and expert-set changes

  /** The streams in opening order (a live view). */
  Collection<StreamState> values() {
    return table.values();
  }

  /** Removes every stream, the default one included (a loader then puts the saved ones). */
  void clear() {
    table.clear();
  }

  /** @return the stream it replaced, or null */
  StreamState put(StreamState s) {
    return table.put(s.id, s);
  }

  /** Makes these streams copies of {@code from}'s: states, attention, route counts and recency. */
  void copyFrom(Streams from) {
    table.clear();
    for (StreamState s : from.table.values()) {
      StreamState t = newStream(s.id);
      t.routes = s.routes;
      System.arraycopy(s.h, 0, t.h, 0, hidden);
      if (s.attention != null) {
        t.attention.restore(s.attention.activeIds(), s.attention.activePotentials(), s.attention.steps());
      }
      table.put(t.id, t);
    }
    table.copyRecency(from.table);
  }
}
