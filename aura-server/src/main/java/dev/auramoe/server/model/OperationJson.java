package dev.auramoe.server.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON that operations and snapshot metadata carry: a model's {@link ModelSpec}, its
 * {@link ModelSettings}, an {@link ExpertSpec} or an expert's names. Unknown fields are ignored on
 * reading, so a record written by a later version with more fields still reads.
 */
public final class OperationJson {

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private OperationJson() {}

  /** A spec from its JSON. */
  public static ModelSpec spec(byte[] json) {
    return read(json, ModelSpec.class);
  }

  /** A value (a spec, settings, an expert change) as the JSON an operation carries. */
  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A value from the JSON an operation carries. */
  public static <T> T read(byte[] json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
