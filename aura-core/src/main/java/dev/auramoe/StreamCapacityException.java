package dev.auramoe;

/**
 * Opening a stream was refused because the model holds all the streams its {@link StreamLimits}
 * allow and may not evict enough of them; nothing changed. A service answers it as "too many
 * requests" when {@link #retryAfter()} says waiting helps, and as a conflict otherwise.
 */
public final class StreamCapacityException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final int openStreams;
  private final int maxStreams;
  private final int toEvict;
  private final long retryAfter;

  StreamCapacityException(String message, int openStreams, int maxStreams, int toEvict, long retryAfter) {
    super(message);
    this.openStreams = openStreams;
    this.maxStreams = maxStreams;
    this.toEvict = toEvict;
    this.retryAfter = retryAfter;
  }

  /** The streams open when the open was refused, the default stream included. */
  public int openStreams() {
    return openStreams;
  }

  /** The cap in force ({@link StreamLimits#maxStreams()}). */
  public int maxStreams() {
    return maxStreams;
  }

  /** How many least recently used streams the open would have had to evict. */
  public int toEvict() {
    return toEvict;
  }

  /**
   * Stamps (in the units of {@link StreamLimits#recency()}) until the streams the open would evict
   * have been idle long enough, if none of them is used meanwhile; -1 when waiting cannot help
   * (the limits refuse rather than evict, or too few streams but the default one are open).
   */
  public long retryAfter() {
    return retryAfter;
  }
}
