package dev.auramoe.server.http;

import dev.auramoe.server.model.Refusal;

/**
 * The one table from the service's {@linkplain Refusal refusals} to HTTP statuses; the message is the
 * error's text and a busy refusal's wait is sent as {@code Retry-After}.
 *
 * <table>
 *   <caption>Refusal kinds and their statuses</caption>
 *   <tr><th>kind</th><th>status</th></tr>
 *   <tr><td>{@link Refusal.Kind#INVALID INVALID}</td><td>400 Bad Request</td></tr>
 *   <tr><td>{@link Refusal.Kind#NOT_FOUND NOT_FOUND}</td><td>404 Not Found</td></tr>
 *   <tr><td>{@link Refusal.Kind#GONE GONE}</td><td>410 Gone</td></tr>
 *   <tr><td>{@link Refusal.Kind#CONFLICT CONFLICT}</td><td>409 Conflict</td></tr>
 *   <tr><td>{@link Refusal.Kind#TOO_LARGE TOO_LARGE}</td><td>413 Content Too Large</td></tr>
 *   <tr><td>{@link Refusal.Kind#BUSY BUSY}</td><td>429 Too Many Requests, with {@code Retry-After}</td></tr>
 *   <tr><td>{@link Refusal.Kind#UNAVAILABLE UNAVAILABLE}</td><td>503 Service Unavailable</td></tr>
 * </table>
 */
public final class RefusalStatus {

  private RefusalStatus() {}

  /** The HTTP status of a kind of refusal. */
  public static int of(Refusal.Kind kind) {
    return switch (kind) {
      case INVALID -> 400;
      case NOT_FOUND -> 404;
      case GONE -> 410;
      case CONFLICT -> 409;
      case TOO_LARGE -> 413;
      case BUSY -> 429;
      case UNAVAILABLE -> 503;
    };
  }
}
