package dev.auramoe.server;

/**
 * A request the HTTP layer refuses (a body it cannot read, a missing token, a method or media type
 * it does not serve), with the HTTP status and the message the client sees. The message must be safe
 * to show: it names what was wrong with the request and never carries a stack trace or internal
 * state. The models refuse with {@link dev.auramoe.server.model.Refusal} instead, which knows no
 * status; {@link dev.auramoe.server.http.RefusalStatus} gives it one.
 */
public final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final long retryAfterSeconds;

  /**
   * A refusal.
   *
   * @param status the HTTP status, 400 to 599
   * @param message what the client did wrong (or, for a 5xx, what failed), shown to the client
   */
  public ApiException(int status, String message) {
    this(status, message, 0);
  }

  private ApiException(int status, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be an error status, got " + status);
    }
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** Seconds after which the request may succeed (sent as {@code Retry-After}), or 0 when not said. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /**
   * 429 Too Many Requests, with a {@code Retry-After} of at least one second.
   *
   * @param retryAfterSeconds when trying again may succeed; less than one second counts as one
   */
  public static ApiException tooManyRequests(String message, long retryAfterSeconds) {
    return new ApiException(429, message, Math.max(1, retryAfterSeconds));
  }

  /** 400 Bad Request. */
  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  /** 404 Not Found. */
  public static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  /** 409 Conflict. */
  public static ApiException conflict(String message) {
    return new ApiException(409, message);
  }

  /** 413 Content Too Large. */
  public static ApiException tooLarge(String message) {
    return new ApiException(413, message);
  }
}
