package dev.auramoe.server;

/**
 * A request the server refuses, with the HTTP status and the message the client sees. The message
 * must be safe to show: it names what was wrong with the request and never carries a stack trace or
 * internal state.
 */
public final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;

  /**
   * A refusal.
   *
   * @param status the HTTP status, 400 to 599
   * @param message what the client did wrong (or, for a 5xx, what failed), shown to the client
   */
  public ApiException(int status, String message) {
    super(message, null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be an error status, got " + status);
    }
    this.status = status;
  }

  /** The HTTP status. */
  public int status() {
    return status;
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
