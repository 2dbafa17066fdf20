package dev.auramoe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Writes the JSON documents of the CLI (pretty-printed, keys in insertion order). */
public final class Json {

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  /** Writes a document to a file, replacing it; its folder exists (see {@link OutputPaths}), none is created. */
  public static void write(Map<String, Object> doc, Path file) throws IOException {
    MAPPER.writeValue(file.toFile(), doc);
  }

  /** The shared mapper (for reading in tests and tools). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
