package dev.auramoe.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auramoe.io.Utf8;
import dev.auramoe.server.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;

/**
 * Strict reading of JSON request bodies: bounded body size, one JSON object per body, no duplicate
 * or unknown fields, and numbers that fit their Java type. Every refusal is an {@link ApiException}
 * with a message that names the field (and element) at fault; none changes any state.
 *
 * <p>Vectors are read as float32: each element must be a JSON number that rounds to a finite float
 * ({@code |v| <= 3.4028235e38}, Float.MAX_VALUE as Java prints it). JSON has no NaN or infinity, and strings such as
 * {@code "NaN"} are refused, as are numbers that overflow a float (for example {@code 1e39}).
 * Thread-safe.
 */
public final class JsonRequests {

  // No cap of Jackson's own on a string's length (20M characters by default): the body limit bounds
  // every string already, and an import's base64 snapshot (up to maxSnapshotBytes, 128 MiB) is one string.
  private final ObjectMapper mapper = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
          .build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** The mapper, configured for strict reading; also used to write responses. */
  public ObjectMapper mapper() {
    return mapper;
  }

  /**
   * Reads a whole body, refusing it when it is larger than {@code maxBytes}.
   *
   * @param in the body; read to its end or one byte past the limit
   * @param declaredLength the Content-Length, or -1 when unknown
   * @throws ApiException 413 for a body over the limit, 400 when it cannot be read
   */
  private static final int PRESIZE_LIMIT = 64 * 1024;

  /** A refused body is read and dropped up to this many times the limit, no further. */
  private static final long DRAIN_FACTOR = 4;

  public static byte[] readBody(InputStream in, long declaredLength, int maxBytes) {
    if (declaredLength > maxBytes) {
      if (declaredLength <= DRAIN_FACTOR * maxBytes) {
        // A client that sends the body anyway (most do, without waiting for 100 Continue) must be able
        // to read the refusal: see discard.
        discard(in, declaredLength);
      }
      throw ApiException.tooLarge("request body of " + declaredLength + " bytes exceeds the limit of " + maxBytes
          + " bytes");
    }
    try {
      byte[] b;
      if (declaredLength >= 0) {
        // The usual case: read exactly the declared bytes into an array of that size, instead of
        // letting readNBytes(maxBytes + 1) allocate a 16 KiB chunk per request and copy it down.
        // Up to 64 KiB is allocated at once; a larger declared body grows as its bytes arrive, so
        // slow clients declaring large bodies cannot pin memory they have not sent.
        if (declaredLength <= PRESIZE_LIMIT) {
          b = new byte[(int) declaredLength];
          int n = in.readNBytes(b, 0, b.length);
          if (n < b.length) {
            return Arrays.copyOf(b, n);
          }
        } else {
          b = in.readNBytes((int) declaredLength);
          if (b.length < declaredLength) {
            return b;
          }
        }
        int next = in.read();
        if (next < 0) {
          return b;
        }
        // More than declared: keep reading, still bounded by the limit.
        byte[] rest = in.readNBytes(maxBytes - b.length);
        byte[] all = Arrays.copyOf(b, b.length + 1 + rest.length);
        all[b.length] = (byte) next;
        System.arraycopy(rest, 0, all, b.length + 1, rest.length);
        b = all;
      } else {
        b = in.readNBytes(maxBytes + 1);
      }
      if (b.length > maxBytes) {
        discard(in, DRAIN_FACTOR * maxBytes);
        throw ApiException.tooLarge("request body exceeds the limit of " + maxBytes + " bytes");
      }
      return b;
    } catch (IOException | RuntimeException e) {
      if (e instanceof ApiException a) {
        throw a;
      }
      throw ApiException.badRequest("the request body could not be read");
    }
  }

  /**
   * Reads and drops up to {@code limit} bytes of what is left of a body refused as too large, so that
   * the refusal reaches a client that is still sending it: a connection closed with unread bytes is
   * reset, and the reset can destroy the response before the client reads it (the "lingering close"
   * of RFC 9112, section 9.6). Bounded, so a huge body costs at most four times the limit; errors are
   * ignored. A body whose Content-Length alone is over four times the limit is not read: the
   * connection is closed on it.
   */
  private static void discard(InputStream in, long limit) {
    byte[] buf = new byte[8192];
    try {
      for (long left = limit; left > 0; ) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          return;
        }
        left -= n;
      }
    } catch (IOException | RuntimeException e) {
      // The refusal is sent all the same.
    }
  }

  /**
   * Parses a body that must hold one JSON object with only the allowed fields.
   *
   * @throws ApiException 400 for an empty body, invalid JSON, another value than an object, a
   *     duplicate or an unknown field
   */
  public ObjectNode object(byte[] body, Set<String> allowed) {
    if (body.length == 0) {
      throw ApiException.badRequest("the request body is empty; expected a JSON object");
    }
    JsonNode n;
    try {
      n = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("invalid JSON: " + describe(e));
    } catch (IOException e) {
      throw ApiException.badRequest("invalid JSON");
    }
    if (!(n instanceof ObjectNode o)) {
      throw ApiException.badRequest("expected a JSON object, got " + kind(n));
    }
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw ApiException.badRequest("unknown field '" + shorten(f) + "'; allowed: " + String.join(", ",
            allowed.stream().sorted().toList()));
      }
    }
    return o;
  }

  /**
   * A required float vector of an exact length.
   *
   * @throws ApiException 400 when missing, not an array of numbers, of another length, or holding a
   *     value that is not a finite float
   */
  public static float[] vector(ObjectNode o, String field, int length) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      throw ApiException.badRequest("field '" + field + "' is required");
    }
    return row(n, field, length);
  }

  /**
   * A required matrix of {@code rows x length} floats, returned row after row in one array.
   *
   * @param maxRows refuse more rows than this with 413
   * @throws ApiException 400 as {@link #vector}, or for an empty matrix; 413 for too many rows
   */
  public static float[] matrix(ObjectNode o, String field, int length, int maxRows) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      throw ApiException.badRequest("field '" + field + "' is required");
    }
    if (!n.isArray()) {
      throw ApiException.badRequest("field '" + field + "' must be an array of arrays, got " + kind(n));
    }
    int rows = n.size();
    if (rows == 0) {
      throw ApiException.badRequest("field '" + field + "' must hold at least one row");
    }
    if (rows > maxRows) {
      throw ApiException.tooLarge("field '" + field + "' holds " + rows + " rows, more than the batch limit of "
          + maxRows);
    }
    // Shapes first: the array is allocated only once every row is known to hold `length` values,
    // which the bounded body size then bounds too.
    for (int r = 0; r < rows; r++) {
      shape(n.get(r), field + "[" + r + "]", length);
    }
    float[] out = new float[rows * length];
    for (int r = 0; r < rows; r++) {
      float[] v = row(n.get(r), field + "[" + r + "]", length);
      System.arraycopy(v, 0, out, r * length, length);
    }
    return out;
  }

  private static void shape(JsonNode n, String what, int length) {
    if (!n.isArray()) {
      throw ApiException.badRequest("'" + what + "' must be an array of numbers, got " + kind(n));
    }
    if (n.size() != length) {
      throw ApiException.badRequest("'" + what + "' must have length " + length + ", got " + n.size());
    }
  }

  private static float[] row(JsonNode n, String what, int length) {
    shape(n, what, length);
    float[] v = new float[length];
    for (int i = 0; i < length; i++) {
      JsonNode e = n.get(i);
      if (!e.isNumber()) {
        throw ApiException.badRequest("'" + what + "[" + i + "]' must be a finite number, got " + kind(e)
            + (e.isTextual() ? " " + shorten(e.asText()) : "") + " (JSON has no NaN or Infinity)");
      }
      // In range when it rounds to a finite float: 3.4028235E38, as Float.MAX_VALUE is printed (and as
      // a saturated prediction is answered), is a little above the exact maximum and rounds to it.
      float f = (float) e.doubleValue();
      if (!Float.isFinite(f)) {
        throw ApiException.badRequest("'" + what + "[" + i + "]' = " + shorten(e.asText())
            + " is out of float range (|v| <= " + Float.MAX_VALUE + ")");
      }
      v[i] = f;
    }
    return v;
  }

  /** The number of rows of a matrix field already read by {@link #matrix}. */
  public static int rows(ObjectNode o, String field) {
    return o.get(field).size();
  }

  /**
   * An optional string field.
   *
   * @throws ApiException 400 when present but not a string
   */
  public static String string(ObjectNode o, String field, String dflt) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isTextual()) {
      throw ApiException.badRequest("field '" + field + "' must be a string, got " + kind(n));
    }
    return n.textValue();
  }

  /**
   * An optional integer field within int range.
   *
   * @throws ApiException 400 when present but not an integer that fits an int
   */
  public static int integer(ObjectNode o, String field, int dflt) {
    long v = longInteger(o, field, dflt);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw ApiException.badRequest("field '" + field + "' is out of range: " + v);
    }
    return (int) v;
  }

  /**
   * An optional integer field within long range.
   *
   * @throws ApiException 400 when present but not an integer that fits a long
   */
  public static long longInteger(ObjectNode o, String field, long dflt) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw ApiException.badRequest("field '" + field + "' must be an integer, got " + shorten(n.toString()));
    }
    return n.longValue();
  }

  /**
   * An optional boolean field.
   *
   * @throws ApiException 400 when present but not true or false
   */
  public static boolean bool(ObjectNode o, String field, boolean dflt) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw ApiException.badRequest("field '" + field + "' must be true or false, got " + shorten(n.toString()));
    }
    return n.booleanValue();
  }

  /**
   * An optional finite number field.
   *
   * @throws ApiException 400 when present but not a finite number
   */
  public static double number(ObjectNode o, String field, double dflt) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
      throw ApiException.badRequest("field '" + field + "' must be a finite number, got " + shorten(n.toString()));
    }
    return n.doubleValue();
  }

  /** Lower-case name of a node's JSON type. */
  static String kind(JsonNode n) {
    return n == null ? "nothing" : n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Jackson's message without the source excerpt, which could echo a large body. */
  private static String describe(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    var loc = e.getLocation();
    String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    return shorten(m == null ? "malformed" : m) + where;
  }

  /** A client's text quoted in a message: control characters become spaces, and at most 120 characters. */
  static String shorten(String s) {
    String one = s.replaceAll("\\p{Cntrl}+", " ");
    return one.length() <= 120 ? one : one.substring(0, 117) + "...";
  }

  /** A set of allowed field names. */
  public static Set<String> fields(String... names) {
    return Set.copyOf(Arrays.asList(names));
  }

  /** A set of allowed field names: a group of them and more. */
  public static Set<String> fields(java.util.Collection<String> group, String... names) {
    java.util.Set<String> all = new java.util.HashSet<>(group);
    all.addAll(Arrays.asList(names));
    return Set.copyOf(all);
  }

  /**
   * Refuses a body that is not strict UTF-8: malformed or truncated sequences, overlong forms, encoded
   * surrogates and code points past U+10FFFF. Jackson refuses some of these and decodes the others
   * into characters the client did not send (an overlong NUL into U+0000, an encoded surrogate into
   * an unpaired one), which matters where the text itself is used: a body carrying text is checked
   * with this before its text is read. Costs one pass over the body.
   *
   * @throws ApiException 400 naming the byte offset of the first bad sequence
   */
  public static void requireUtf8(byte[] body) {
    Utf8.decodeStrictly(body, (at, length) -> ApiException.badRequest("the request body is not valid UTF-8: "
        + "malformed sequence of " + length + " byte(s) at byte offset " + at));
  }
}
