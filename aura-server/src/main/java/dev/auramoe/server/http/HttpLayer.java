package dev.auramoe.server.http;

import dev.auramoe.server.metrics.ServerMetrics;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncoding;
import io.helidon.http.encoding.ContentEncodingContext;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http1.Http1Config;
import java.util.Locale;
import java.util.Set;

/**
 * How the HTTP layer (Helidon's HTTP/1.1 connection, before any routing) is set up and how it
 * refuses requests: every refusal it makes is the same JSON error {@code {"error", "status"}} the
 * endpoints answer, never Helidon's empty or HTML body.
 *
 * <h2>What is refused before routing</h2>
 * <pre>
 * 400  a malformed request line, header or Host; Content-Length that is not a non-negative number,
 *      given twice, or given with Transfer-Encoding (request smuggling shapes); a bad chunk size
 * 414  a request line over {@value #MAX_REQUEST_LINE} bytes
 * 415  a body with a Content-Encoding other than identity (gzip bodies are not decoded: send JSON
 *      uncompressed; the answer carries {@code Accept-Encoding: identity})
 * 431  request headers over {@value #MAX_HEADER_BYTES} bytes in all (also many small ones)
 * 501  a Transfer-Encoding other than chunked
 * 505  an HTTP version other than 1.1 (1.0, 2.0 without upgrade, ...)
 * </pre>
 * Each of these closes the connection, and each is counted in the metrics under the endpoint
 * {@value #ENDPOINT}.
 */
public final class HttpLayer {

  /** Longest request line (method, target and version) accepted, in bytes. */
  public static final int MAX_REQUEST_LINE = 4096;

  /** Most bytes all request headers together may take. */
  public static final int MAX_HEADER_BYTES = 16 * 1024;

  /** The metrics endpoint label of the requests refused before routing. */
  public static final String ENDPOINT = "refused before routing";

  private static final String MALFORMED_LINE = "malformed request line: expected METHOD /path HTTP/1.1";

  /** Helidon's text when the message of a refusal is not safe to show (a malformed request line). */
  private static final String UNSAFE = "Bad request, see server log for more information";

  private HttpLayer() {}

  /**
   * Applies the limits, the content codings and the JSON refusals to a web server's configuration.
   *
   * @param metrics counts the refusals
   */
  public static void configure(WebServerConfig.Builder server, ServerMetrics metrics) {
    DirectHandler refusals = new Refusals(metrics);
    // HTTP/1.1 only, and only one protocol: with more than one Helidon closes a connection whose first
    // line no protocol recognises without any answer (instead of a 400 from HTTP/1.1).
    // TCP_NODELAY: a response whose last segment is short (an answer of 8-16 KB) must not wait for
    // the client's delayed acknowledgement of the one before (about 40 ms on Linux), as Nagle's
    // algorithm makes it. Helidon leaves it off.
    server.connectionOptions(o -> o.tcpNoDelay(true));
    server.protocolsDiscoverServices(false)
        .addProtocol(Http1Config.builder().maxPrologueLength(MAX_REQUEST_LINE).maxHeadersSize(MAX_HEADER_BYTES)
            .build())
        .contentEncoding(ContentEncodingContext.builder().contentEncodingsDiscoverServices(false)
            .addContentEncoding(new Identity()).build())
        // Hand Helidon's own message to the handler (it shows none by default); Refusals rewrites it.
        .errorHandling(e -> e.includeEntity(true))
        .directHandlers(d -> {
          for (DirectHandler.EventType t : DirectHandler.EventType.values()) {
            d.addHandler(t, refusals);
          }
        });
  }

  /**
   * The status and message of a refusal Helidon made, from its default status and message and
   * what it parsed of the request.
   */
  private record Refusal(int status, String message) {}

  private static Refusal refusal(DirectHandler.TransportRequest request, DirectHandler.EventType type, Status defaultStatus,
      String helidonMessage) {
    int status = defaultStatus.code();
    if (type == DirectHandler.EventType.INTERNAL_ERROR && request.method().isEmpty() && request.path().isEmpty()
        && request.protocolVersion().isEmpty()) {
      // Before the request line was read there is no request to have failed on: Helidon reports a
      // method with characters a token may not hold (a control character) as an internal error.
      return new Refusal(400, MALFORMED_LINE);
    }
    String m = helidonMessage == null ? "" : helidonMessage;
    String lower = m.toLowerCase(Locale.ROOT);
    if (lower.contains("header size exceeded")) {
      return new Refusal(431, "the request headers exceed the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (lower.contains("content encoding") || lower.contains("content-encoding")) {
      return new Refusal(415, "Content-Encoding '" + header(request, HeaderNames.CONTENT_ENCODING)
          + "' is not supported: send the JSON body uncompressed");
    }
    if (status == 400 && !lower.contains("transfer-encoding")
        && (lower.contains("content length") || lower.contains("content-length"))) {
      return new Refusal(400, "Content-Length must be one non-negative integer, got '"
          + header(request, HeaderNames.CONTENT_LENGTH) + "'");
    }
    String version = version(request);
    if (status == 505 || (status == 400 && version.matches("HTTP/\\d(\\.\\d)?") && !version.equals("HTTP/1.1"))) {
      return new Refusal(505, JsonRequests.shorten(version) + " is not supported: use HTTP/1.1");
    }
    return switch (status) {
      case 414 -> new Refusal(414, "the request line exceeds the limit of " + MAX_REQUEST_LINE + " bytes");
      case 413 -> new Refusal(413, "the request body is too large");
      case 501 -> new Refusal(501, "Transfer-Encoding '" + header(request, HeaderNames.TRANSFER_ENCODING)
          + "' is not supported: send the body with Content-Length or chunked");
      // A concurrency limit, when one is configured (none by default).
      case 503 -> new Refusal(503, "too many concurrent requests; retry later");
      default -> {
        if (status >= 500) {
          yield new Refusal(status, "internal server error");
        }
        if (status != 400) {
          yield new Refusal(status, m.isEmpty() ? defaultStatus.reasonPhrase() : JsonRequests.shorten(m));
        }
        if (m.isEmpty() || m.equals(UNSAFE)) {
          // Helidon hides the detail of a malformed request line: name what can be said.
          yield new Refusal(status, version.equals("HTTP/1.1") && !request.path().isEmpty()
              ? "malformed request target: the path has characters or percent-escapes that are not allowed"
              : MALFORMED_LINE);
        }
        yield new Refusal(status, "malformed request: " + JsonRequests.shorten(m));
      }
    };
  }

  /** Helidon's status of that code, or one with the RFC's reason phrase (Helidon has none for 431). */
  private static Status status(int code) {
    return code == 431 ? Status.create(431, "Request Header Fields Too Large") : Status.create(code);
  }

  /**
   * The HTTP version the request line named. For a version it does not accept Helidon reports the
   * whole request line followed by "/" (and "HTTP/1.1" when only the path was wrong): its last word.
   */
  private static String version(DirectHandler.TransportRequest request) {
    String v = request.protocolVersion();
    v = v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
    return v.substring(v.lastIndexOf(' ') + 1);
  }

  /** A header's values as the request gave them, joined, shortened and without control characters. */
  private static String header(DirectHandler.TransportRequest request, io.helidon.http.HeaderName name) {
    return JsonRequests.shorten(String.join(", ", request.headers().values(name).stream().map(String::trim).toList()));
  }

  /** Helidon's direct handler: the refusal as JSON. */
  private static final class Refusals implements DirectHandler {
    private final ServerMetrics metrics;

    Refusals(ServerMetrics metrics) {
      this.metrics = metrics;
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
        ServerResponseHeaders headers, String message) {
      Refusal r = refusal(request, eventType, defaultStatus, message);
      TransportResponse.Builder b = TransportResponse.builder()
          .status(status(r.status()))
          .headers(headers)
          .header(HeaderNames.CONTENT_TYPE, Reply.JSON);
      if (r.status() == 415) {
        // RFC 9110, 15.5.16: say which content codings a request may use.
        b.header(HeaderNames.ACCEPT_ENCODING, "identity");
      }
      if (!"HEAD".equals(request.method())) {
        b.entity(Reply.error(r.status(), r.message()));
      }
      metrics.record(ENDPOINT, r.status(), 0);
      return b.build();
    }
  }

  /**
   * The identity content coding, for decoding only: with it a body may say
   * {@code Content-Encoding: identity}; any other coding is refused with 415 (without a decoder
   * Helidon refuses every Content-Encoding, identity included).
   */
  private static final class Identity implements ContentEncoding {
    @Override
    public Set<String> ids() {
      return Set.of("identity");
    }

    @Override
    public boolean supportsEncoding() {
      return false;
    }

    @Override
    public boolean supportsDecoding() {
      return true;
    }

    @Override
    public ContentDecoder decoder() {
      return ContentDecoder.NO_OP;
    }

    @Override
    public ContentEncoder encoder() {
      return ContentEncoder.NO_OP;
    }

    @Override
    public String name() {
      return "identity";
    }

    @Override
    public String type() {
      return "identity";
    }
  }
}
