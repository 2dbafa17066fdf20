package dev.auramoe.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * What an endpoint answers: a status and a body that Jackson writes as JSON (or, for a
 * {@link String} body, the text as it is, and for a {@code byte[]} body the bytes as they are).
 *
 * @param status the HTTP status
 * @param body the body: a map, record or list written as JSON, a String sent as text, or bytes sent as they are
 * @param contentType the media type
 */
public record Reply(int status, Object body, String contentType) {

  /** JSON media type. */
  public static final String JSON = "application/json";

  /**
   * A JSON body already written, sent as it is (hot endpoints write their answer with a
   * {@code JsonGenerator} instead of building a map for Jackson to walk).
   *
   * @param bytes the UTF-8 JSON text
   */
  public record Json(byte[] bytes) {}

  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * The body of every refusal, {@code {"error": message, "status": status}}, as UTF-8 JSON.
   *
   * @param message what was wrong, safe to show (null for a bare "error")
   */
  public static byte[] error(int status, String message) {
    ByteArrayBuilder out = new ByteArrayBuilder(128);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("error", Objects.requireNonNullElse(message, "error"));
      g.writeNumberField("status", status);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** 200 with a JSON body. */
  public static Reply ok(Object body) {
    return new Reply(200, body, JSON);
  }

  /** 201 with a JSON body. */
  public static Reply created(Object body) {
    return new Reply(201, body, JSON);
  }
}
