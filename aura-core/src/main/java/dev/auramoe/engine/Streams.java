package dev.auramoe.engine;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.StreamCapacityException;
import dev.auramoe.StreamEvictionListener;
import dev.auramoe.StreamLimits;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The open streams of a model: what a new stream is made of (a zero state of the cell's size, fresh
 * attention when configured), lookup by id with the model's errors, listing in opening order (the
 * order snapshots write them in) or page by page in id order, the recency order, the bound on the
 * streams ({@link StreamLimits}) with the eviction of idle ones, and one stream's state as bytes
 * ({@link StreamStateCodec}). The {@value MixtureOfExperts#DEFAULT_STREAM} stream always exists
 * (unless a loader is filling the table). Not thread-safe: the model calls it under its lock.
 *
 * <p>Lookups, recency updates and {@link #routed} are O(1) and allocate nothing; opening and
 * closing are O(log n) (the id index), plus one eviction per open while the cap holds; a page of
 * ids is O(log n + page).
 *
 * <p>The recency order is a doubly linked list threaded through the {@link StreamState}s
 * themselves, so keeping it costs no allocation per use. It holds every stream but the default one,
 * which is never evicted; a stream enters it at the recent end when it is opened and moves there
 * again on each {@link #touch}. Recency, like the bound, the listener, the clock and the eviction
 * count, is bookkeeping, not model state: snapshots and digests leave it out, a loaded model starts
 * with its streams in opening order and unlimited, and an expert-set change carries it
 * ({@link #copyFrom}).
 *
 * <p>While the eviction listener runs, every change of the streams (open, close, evict, import,
 * reset, recency, limits, listener, and a route or learn through {@link #advancing}) throws
 * {@link IllegalStateException} and changes nothing; reading stays allowed. See
 * {@link StreamEvictionListener}.
 */
public final class Streams {

  private final int hidden;
  /** Experts whose recent errors each stream keeps: the model's, or 0 when its router reads none. */
  private final int recentExperts;
  /** The expert set those recent errors belong to ({@link StreamStateCodec#expertSet}). */
  private final int expertSet;
  private final AttentionConfig attention;
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
  private StreamLimits limits = StreamLimits.UNLIMITED;
  /** Whether each routed input stamps its stream ({@link StreamLimits.Recency#ROUTES}). */
  private boolean stampRoutes;
  /** Told of each eviction before it happens, or null. */
  private StreamEvictionListener listener;
  /** Whether the listener is running: the streams then refuse every change ({@link #checkChangeable}). */
  private boolean notifying;
  /**
   * The latest stamp any stream was given: "now" for an open without a stamp, and the count of
   * routed inputs with {@link StreamLimits.Recency#ROUTES}.
   */
  private long clock;
  /** Streams evicted since the model was built (carried over by expert-set changes). */
  private long evicted;

  Streams(int hidden, AttentionConfig attention, int recentExperts, int expertSet) {
    this.hidden = hidden;
    this.recentExperts = recentExperts;
    this.expertSet = expertSet;
    this.attention = attention;
    put(newStream(MixtureOfExperts.DEFAULT_STREAM));
  }

  StreamState newStream(String id) {
    return new StreamState(id, hidden, recentExperts, attention);
  }

  // ------------------------------------------------------------------ lookup and listing

  /**
   * The open stream with this id.
   *
   * @throws NoSuchElementException when it is not open
   */
  StreamState get(String id) {
    StreamState s = byId.get(id);
    if (s == null) {
      throw new NoSuchElementException("unknown stream '" + id + "' (open it with openStream)");
    }
    return s;
  }

  /** Throws {@link NoSuchElementException} unless the stream is open. */
  public void require(String id) {
    get(id);
  }

  public boolean contains(String id) {
    return byId.containsKey(id);
  }

  public int size() {
    return byId.size();
  }

  /** The ids in opening order, copied. */
  public List<String> ids() {
    return List.copyOf(byId.keySet());
  }

  /**
   * Up to {@code limit} (&gt;= 1) ids in their natural (code unit) order, each greater than
   * {@code after} (from the first when null), copied. {@code after} need not be open.
   */
  public List<String> idsAfter(String after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, got " + limit);
    }
    List<String> page = new ArrayList<>(Math.min(limit, sorted.size()));
    for (String id : after == null ? sorted : sorted.tailSet(after, false)) {
      if (page.size() == limit) {
        break;
      }
      page.add(id);
    }
    return page;
  }

  // ------------------------------------------------------------------ opening, closing, state

  /** Opens a stream with a zero state, as used at the latest stamp given; see {@link #open(String, long)}. */
  public void open(String id) {
    open(id, clock);
  }

  /**
   * Opens a stream with a zero state, as used at {@code stamp}, first evicting what the limits say.
   *
   * @throws IllegalArgumentException for a blank or open id
   * @throws StreamCapacityException (nothing changed) when the limits refuse another stream
   */
  public void open(String id, long stamp) {
    checkChangeable();
    checkId(id);
    if (byId.containsKey(id)) {
      throw new IllegalArgumentException("stream '" + id + "' is already open");
    }
    admit(newStream(id), stamp);
  }

  /** Opens a stream unless it is open already. */
  public void ensure(String id) {
    checkChangeable();
    if (!byId.containsKey(id)) {
      open(id);
    }
  }

  /**
   * Closes an open stream ({@link NoSuchElementException} otherwise); the default stream cannot be
   * closed ({@link IllegalArgumentException}).
   */
  public void close(String id) {
    checkChangeable();
    if (MixtureOfExperts.DEFAULT_STREAM.equals(id)) {
      throw new IllegalArgumentException("the default stream cannot be closed");
    }
    remove(get(id));
  }

  /** Resets one stream's state (cell state, attention, route count). */
  public void reset(String id) {
    checkChangeable();
    get(id).reset();
  }

  public void resetAll() {
    checkChangeable();
    for (StreamState s : byId.values()) {
      s.reset();
    }
  }

  /** A copy of a stream's cell state. */
  public float[] state(String id) {
    return get(id).h.clone();
  }

  /** A copy of a stream's recent errors (empty when the router reads none). */
  public float[] recentErrors(String id) {
    return get(id).recent.clone();
  }

  /** Sets a stream's recent errors; see {@code MixtureOfExperts#setRecentErrors}. */
  public void setRecentErrors(String id, float[] recent) {
    StreamState s = get(id);
    java.util.Objects.requireNonNull(recent, "recent errors");
    if (recent.length != s.recent.length) {
      throw new IllegalArgumentException("recent errors must hold " + s.recent.length + " values, got " + recent.length);
    }
    for (int e = 0; e < recent.length; e++) {
      if (!(recent[e] >= 0f) || recent[e] == Float.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("recent error of expert " + e + " must be finite and >= 0, got " + recent[e]);
      }
    }
    System.arraycopy(recent, 0, s.recent, 0, recent.length);
  }

  /** A copy of a stream's attention, or null when attention is not configured. */
  public SpikingAttention attention(String id) {
    SpikingAttention a = get(id).attention;
    return a == null ? null : a.copy();
  }

  /**
   * The open stream that a route or learn advances.
   *
   * @throws NoSuchElementException when it is not open
   * @throws IllegalStateException while the eviction listener runs
   */
  StreamState advancing(String id) {
    checkChangeable();
    return get(id);
  }

  /** Counts a routed input of a stream; with {@link StreamLimits.Recency#ROUTES} it stamps it with the next route. */
  void routed(StreamState s) {
    s.routes++;
    if (stampRoutes) {
      touch(s, clock + 1);
    }
  }

  /**
   * Refuses a change while the eviction listener runs: the stream it is told of is still open, so
   * an open would evict it again (without end), a close or eviction would leave the eviction that
   * called it without its stream, a use would change the stream after its state was taken.
   *
   * @throws IllegalStateException while the listener runs
   */
  private void checkChangeable() {
    if (notifying) {
      throw new IllegalStateException("the stream eviction listener must not change the model's streams");
    }
  }

  private static void checkId(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("stream id must not be blank");
    }
  }

  // ------------------------------------------------------------------ one stream's state as bytes

  /**
   * A stream's state in the form of {@link StreamStateCodec}.
   *
   * @throws NoSuchElementException for a stream that is not open
   * @throws IllegalStateException when the state holds a non-finite value
   */
  public byte[] exportState(String id) {
    return StreamStateCodec.encode(get(id), expertSet);
  }

  /** {@link #importState(String, byte[], long)} as used at the latest stamp given. */
  public void importState(String id, byte[] state) {
    importState(id, state, clock);
  }

  /**
   * Puts an exported state in place of the open stream {@code id}, or opens the stream with it
   * (under the limits, as {@link #open(String, long)}); either way as used at {@code stamp}.
   *
   * @throws IllegalArgumentException (nothing changed) for a blank id, or bytes this model cannot take
   * @throws StreamCapacityException (nothing changed) when the stream is not open and the limits refuse it
   */
  public void importState(String id, byte[] state, long stamp) {
    checkChangeable();
    checkId(id);
    StreamState s = StreamStateCodec.decode(id, state, hidden, recentExperts, expertSet, attention);
    if (byId.containsKey(id)) {
      put(s);
      touch(s, stamp);
    } else {
      admit(s, stamp);
    }
  }

  // ------------------------------------------------------------------ recency

  /** Records a use of a stream; false, changing nothing, when it is not open. */
  public boolean touch(String id, long stamp) {
    checkChangeable();
    StreamState s = byId.get(id);
    if (s == null) {
      return false;
    }
    touch(s, stamp);
    return true;
  }

  /** Moves a stream to the recent end of the recency order and records {@code stamp}. */
  private void touch(StreamState s, long stamp) {
    s.stamp = stamp;
    clock = Math.max(clock, stamp);
    if (s == newest || MixtureOfExperts.DEFAULT_STREAM.equals(s.id)) {
      return;
    }
    unlink(s);
    linkNewest(s);
  }

  /** The stamp of a stream's last use. */
  public long stamp(String id) {
    return get(id).stamp;
  }

  /** The id of the least recently used stream other than the default one, or null. */
  public String leastRecentlyUsed() {
    return oldest == null ? null : oldest.id;
  }

  /**
   * The latest stamp among the {@code n} (&gt;= 1) least recently used streams (the default stream
   * never counts), or {@link Long#MIN_VALUE} when fewer than {@code n} are in the recency order. O(n).
   */
  public long latestStampOfLeastRecentlyUsed(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
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

  /** Stamps every stream with {@code stamp}, keeping the recency order. */
  public void stampAll(long stamp) {
    checkChangeable();
    clock = Math.max(clock, stamp);
    for (StreamState s : byId.values()) {
      s.stamp = stamp;
    }
  }

  /** Takes over {@code from}'s recency; streams only here become the most recent, with {@code stamp}. */
  public void copyRecency(Streams from, long stamp) {
    checkChangeable();
    copyRecency(from, stamp, true);
  }

  /**
   * Gives these streams the recency order and stamps of {@code other} for the streams both hold;
   * with {@code stampOthers} the streams only this one holds become the most recently used ones (in
   * opening order) with stamp {@code stamp}, so that they count as used then.
   */
  private void copyRecency(Streams other, long stamp, boolean stampOthers) {
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

  // ------------------------------------------------------------------ the bound on the streams

  public StreamLimits limits() {
    return limits;
  }

  /** Sets the bound; lowering it evicts nothing at once (the next open evicts enough to end one under it). */
  public void setLimits(StreamLimits l) {
    checkChangeable();
    limits = Objects.requireNonNull(l, "limits");
    stampRoutes = l.recency() == StreamLimits.Recency.ROUTES;
  }

  /** Sets the listener told of each eviction, or none (null). */
  public void setListener(StreamEvictionListener l) {
    checkChangeable();
    listener = l;
  }

  /** Streams evicted since the model was built. */
  public long evicted() {
    return evicted;
  }

  /**
   * The ids of the streams that opening one more at {@code now} would evict under a cap of at most
   * {@code max} (and at most the limits' own: a caller whose shared budget has less room), least
   * recently used first; changes nothing. With {@code max} at the streams open, the one stream to
   * evict so that an open adds none.
   *
   * @throws IllegalArgumentException when {@code max} &lt; 1
   * @throws StreamCapacityException when the limits, under that cap, would refuse the open
   */
  public List<String> toEvict(long now, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("maxStreams must be >= 1 (the default stream counts), got " + max);
    }
    int n = evictionsToOpen(now, Math.min(max, limits.maxStreams()));
    List<String> ids = new ArrayList<>(n);
    for (StreamState s = oldest; ids.size() < n; s = s.newer) {
      ids.add(s.id);
    }
    return ids;
  }

  /**
   * Evicts an open stream other than the default one: tells the listener (with its state), then
   * closes it and counts it.
   *
   * @throws IllegalArgumentException for the default stream
   * @throws NoSuchElementException for a stream that is not open
   */
  public void evict(String id) {
    checkChangeable();
    if (MixtureOfExperts.DEFAULT_STREAM.equals(id)) {
      throw new IllegalArgumentException("the default stream cannot be evicted");
    }
    evict(get(id));
  }

  private void evict(StreamState s) {
    if (listener != null) {
      byte[] state = StreamStateCodec.encodeOrNull(s, expertSet);
      notifying = true;
      try {
        listener.evicting(s.id, state);
      } finally {
        notifying = false;
      }
    }
    remove(s);
    evicted++;
  }

  /** Adds a stream that is not open, as used at {@code now}, first evicting what the limits say. */
  private void admit(StreamState s, long now) {
    int n = evictionsToOpen(now, limits.maxStreams());
    for (int i = 0; i < n; i++) {
      evict(oldest);
    }
    put(s);
    touch(s, now);
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

  // ------------------------------------------------------------ for snapshots and expert-set changes

  /** The streams in opening order (a live view: do not change the streams while iterating it). */
  Collection<StreamState> values() {
    return byId.values();
  }

  /** Removes every stream, the default one included (a loader then puts the saved ones). */
  void clear() {
    byId.clear();
    sorted.clear();
    oldest = null;
    newest = null;
  }

  /**
   * Adds a stream at the recent end of the recency order (the default stream stays out of it),
   * whatever the limits.
   *
   * @return the stream it replaced, or null; a replaced stream leaves the recency order
   */
  StreamState put(StreamState s) {
    StreamState old = byId.put(s.id, s);
    if (old != null) {
      unlink(old);
    } else {
      sorted.add(s.id);
    }
    if (!MixtureOfExperts.DEFAULT_STREAM.equals(s.id)) {
      linkNewest(s);
    }
    return old;
  }

  /**
   * Makes these streams copies of {@code from}'s, for a model that replaces it after an expert-set
   * change: states, recent errors (following their experts, {@link StreamState#copyFrom(StreamState,
   * int[])}), attention, route counts, recency, and the bound with its listener, clock and eviction
   * count.
   */
  void copyFrom(Streams from, int[] expertFrom) {
    clear();
    for (StreamState s : from.byId.values()) {
      StreamState t = newStream(s.id);
      t.copyFrom(s, expertFrom);
      put(t);
    }
    copyRecency(from, 0, false);
    setLimits(from.limits);
    listener = from.listener;
    clock = from.clock;
    evicted = from.evicted;
  }

  /**
   * Gives expert e, made fresh, the mean of the other experts' recent errors in every stream, so that
   * the router neither favours nor avoids it.
   */
  void resetRecentErrors(int e) {
    if (recentExperts == 0) {
      return;
    }
    for (StreamState s : byId.values()) {
      s.resetRecentError(e);
    }
  }

  private void remove(StreamState s) {
    byId.remove(s.id);
    unlink(s);
    sorted.remove(s.id);
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
