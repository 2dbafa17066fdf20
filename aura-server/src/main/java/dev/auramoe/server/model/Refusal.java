package dev.auramoe.server.model;

import java.util.Objects;

/**
 * A request the service refuses, in the service's own terms: what {@linkplain Kind kind} of refusal
 * it is, a message safe to show the client (it names what was wrong and never carries a stack trace
 * or internal state) and, for a {@linkplain Kind#BUSY busy} model, when trying again may succeed. A
 * refused request changes nothing, unless the refusal says otherwise (a learn that the journal could
 * not make durable is learned in memory and not acknowledged).
 *
 * <p>The models ({@code model/}) and their persistence ({@code persist/}) throw refusals and know
 * nothing of the protocol that carries them; the HTTP layer maps each kind to a status in one table.
 */
public final class Refusal extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What kind of refusal: the client's fault or the service's state. */
  public enum Kind {
    /** The request is malformed or out of range; asking again the same way cannot succeed. */
    INVALID,
    /** What the request names (a model, a stream, an expert, a snapshot) does not exist. */
    NOT_FOUND,
    /**
     * What the request names existed and is gone for good: a route id whose route expired (its
     * lifetime, its model's route memory, a restart of the server).
     */
    GONE,
    /** The request contradicts the state: a name is taken, or a limit leaves no room for it. */
    CONFLICT,
    /** The request is larger than the service can take at all: asking again with less may succeed. */
    TOO_LARGE,
    /** No room now, but there may be later: the request may succeed after {@link #retryAfterSeconds()}. */
    BUSY,
    /** The service cannot serve the request (its log failed, a model stopped taking requests). */
    UNAVAILABLE
  }

  private final Kind kind;
  private final long retryAfterSeconds;

  private Refusal(Kind kind, String message, long retryAfterSeconds) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** What kind of refusal it is. */
  public Kind kind() {
    return kind;
  }

  /** Seconds after which the request may succeed, at least 1 for {@link Kind#BUSY}; otherwise 0 (not said). */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** A malformed or out-of-range request. */
  public static Refusal invalid(String message) {
    return new Refusal(Kind.INVALID, message, 0);
  }

  /** Something the request names does not exist. */
  public static Refusal notFound(String message) {
    return new Refusal(Kind.NOT_FOUND, message, 0);
  }

  /** Something the request names existed and has expired. */
  public static Refusal gone(String message) {
    return new Refusal(Kind.GONE, message, 0);
  }

  /** The request contradicts the state or a limit. */
  public static Refusal conflict(String message) {
    return new Refusal(Kind.CONFLICT, message, 0);
  }

  /** The request is larger than the service can take. */
  public static Refusal tooLarge(String message) {
    return new Refusal(Kind.TOO_LARGE, message, 0);
  }

  /**
   * No room now; trying again may succeed.
   *
   * @param retryAfterSeconds when trying again may succeed; less than one second counts as one
   */
  public static Refusal busy(String message, long retryAfterSeconds) {
    return new Refusal(Kind.BUSY, message, Math.max(1, retryAfterSeconds));
  }

  /** The service cannot serve the request now. */
  public static Refusal unavailable(String message) {
    return new Refusal(Kind.UNAVAILABLE, message, 0);
  }
}
