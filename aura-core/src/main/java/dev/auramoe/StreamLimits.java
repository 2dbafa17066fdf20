package dev.auramoe;

/**
 * The bound on a model's open streams: how many it may hold, what opening one more does when it
 * holds that many, and how the idle age of a stream is measured. A run-time choice, like the routing
 * policy: set with {@link MixtureOfExperts.Builder#streamLimits} or
 * {@link MixtureOfExperts#setStreamLimits}, carried over by changes of the expert set and not saved
 * in snapshots (a loaded model starts {@linkplain #UNLIMITED unlimited}).
 *
 * <p>A model at its cap that opens a stream ({@link MixtureOfExperts#openStream}, or
 * {@link MixtureOfExperts#importStream} of a stream it does not hold) first evicts the least
 * recently used streams, enough to end one under the cap (one, unless the cap was lowered), if
 * {@link #whenFull} is {@link WhenFull#EVICT_IDLE} and each of them has been idle for at least
 * {@link #minIdle}; otherwise the open is refused with a {@link StreamCapacityException} and nothing
 * changes. The default stream counts against the cap but is never evicted. Evictions are reported
 * to the {@link StreamEvictionListener}, with the evicted stream's exported state, before they
 * happen, and counted in {@link MixtureOfExperts#evictedStreams()}.
 *
 * <p>Idle ages are differences of stamps. With {@link Recency#STAMPS} the stamps are the caller's
 * ({@link MixtureOfExperts#touchStream}, {@link MixtureOfExperts#openStream(String, long)}): a time
 * in nanoseconds, a sequence number, whatever clock the caller keeps, and "now" is the stamp passed
 * to the open, or the latest stamp the model was given. With {@link Recency#ROUTES} the model keeps
 * the clock itself: each routed input advances it by one and stamps its stream, so a stream's idle
 * age is the number of inputs the model routed on other streams since its last one.
 *
 * @param maxStreams most open streams, the default stream included, at least 1;
 *     {@link Integer#MAX_VALUE} for no bound
 * @param whenFull what opening a stream at the cap does
 * @param minIdle the least idle age, in stamps, of a stream that may be evicted, &gt;= 0 (0: the least
 *     recently used stream goes whenever room is needed)
 * @param recency whose clock stamps the streams
 */
public record StreamLimits(int maxStreams, WhenFull whenFull, long minIdle, Recency recency) {

  /** No bound, recency stamped by the caller: every model's behaviour unless told otherwise. */
  public static final StreamLimits UNLIMITED =
      new StreamLimits(Integer.MAX_VALUE, WhenFull.REFUSE, 0, Recency.STAMPS);

  /** What opening a stream does at the cap. */
  public enum WhenFull {
    /** Evict the least recently used streams when they have been idle long enough, else refuse. */
    EVICT_IDLE,
    /** Refuse: the caller closes (or exports and closes) a stream first. */
    REFUSE
  }

  /** Whose clock stamps the streams' last uses. */
  public enum Recency {
    /**
     * The caller's: {@link MixtureOfExperts#touchStream} records a use; routing does not. For a
     * service that stamps each request with its own clock.
     */
    STAMPS,
    /**
     * The model's: every routed input (route, predict, learn, a window's real rows) is a use, stamped
     * with the number of inputs the model has routed. For a job that only routes.
     */
    ROUTES
  }

  /** Validates. */
  public StreamLimits {
    if (maxStreams < 1) {
      throw new IllegalArgumentException("maxStreams must be >= 1 (the default stream counts), got " + maxStreams);
    }
    if (whenFull == null || recency == null) {
      throw new IllegalArgumentException("whenFull and recency must not be null");
    }
    if (minIdle < 0) {
      throw new IllegalArgumentException("minIdle must be >= 0, got " + minIdle);
    }
  }

  /** At most {@code maxStreams} streams, evicting the least recently used one (idle or not) for a new one. */
  public static StreamLimits evicting(int maxStreams) {
    return new StreamLimits(maxStreams, WhenFull.EVICT_IDLE, 0, Recency.STAMPS);
  }

  /** At most {@code maxStreams} streams, refusing to open more. */
  public static StreamLimits refusing(int maxStreams) {
    return new StreamLimits(maxStreams, WhenFull.REFUSE, 0, Recency.STAMPS);
  }

  /** A copy that evicts only streams idle for at least {@code stamps}. */
  public StreamLimits withMinIdle(long stamps) {
    return new StreamLimits(maxStreams, whenFull, stamps, recency);
  }

  /** A copy with another clock. */
  public StreamLimits withRecency(Recency r) {
    return new StreamLimits(maxStreams, whenFull, minIdle, r);
  }

  /** Whether there is a bound at all. */
  public boolean bounded() {
    return maxStreams != Integer.MAX_VALUE;
  }
}
