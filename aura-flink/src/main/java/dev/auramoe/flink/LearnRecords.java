package dev.auramoe.flink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.auramoe.MixtureOfExperts;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Reads the job's records: one JSON object a line, the service's learn body with the fields
 * {@code stream} (optional: the default stream), {@code x} and {@code y} (arrays of finite numbers of
 * the model's input and output sizes); blank lines are skipped. Every refusal names the file and the
 * line, and the field.
 */
public final class LearnRecords {

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private final int inputDim;
  private final int outputDim;

  /** A reader for records of these sizes. */
  public LearnRecords(int inputDim, int outputDim) {
    this.inputDim = inputDim;
    this.outputDim = outputDim;
  }

  /**
   * Parses one line; null for a blank one.
   *
   * @param where the file and line to name in a refusal, for example {@code data.jsonl:12}
   * @throws IOException naming {@code where} for invalid JSON, an unknown, duplicate or missing field,
   *     a vector of another length or a value that is not a finite float
   */
  public LearnRecord parse(String line, String where) throws IOException {
    if (line.isBlank()) {
      return null;
    }
    String stream = null;
    float[] x = null;
    float[] y = null;
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException(where + ": expected a JSON object {\"stream\":...,\"x\":[...],\"y\":[...]}");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "stream" -> {
            if (stream != null) {
              throw duplicate(where, field);
            }
            if (p.currentToken() != JsonToken.VALUE_STRING || p.getText().isBlank()) {
              throw new IOException(where + ": field 'stream' must be a non-blank string");
            }
            stream = p.getText();
          }
          case "x" -> {
            if (x != null) {
              throw duplicate(where, field);
            }
            x = vector(p, where, field, inputDim);
          }
          case "y" -> {
            if (y != null) {
              throw duplicate(where, field);
            }
            y = vector(p, where, field, outputDim);
          }
          default -> throw new IOException(where + ": unknown field '" + field + "'; allowed: stream, x, y");
        }
      }
      if (p.nextToken() != null) {
        throw new IOException(where + ": text after the JSON object");
      }
    } catch (JsonProcessingException e) {
      throw new IOException(where + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
    if (x == null || y == null) {
      throw new IOException(where + ": field '" + (x == null ? "x" : "y") + "' is required");
    }
    return new LearnRecord(stream == null ? MixtureOfExperts.DEFAULT_STREAM : stream, x, y);
  }

  /** A learner of records that may throw. */
  public interface Learner {
    /** Learns one record. */
    void learn(LearnRecord r) throws Exception;
  }

  /**
   * {@link #forEach} to a learner: a record it refuses stops the pass with an {@link IllegalStateException}
   * naming the file.
   */
  public long learnEach(Path file, Learner learner) throws IOException {
    return forEach(file, r -> {
      try {
        learner.learn(r);
      } catch (Exception e) {
        throw new IllegalStateException(file + ": " + e.getMessage(), e);
      }
    });
  }

  /**
   * Reads every record of a file in order.
   *
   * @return the number of records
   * @throws IOException for a file that cannot be read or a line that {@link #parse} refuses
   */
  public long forEach(Path file, Consumer<LearnRecord> sink) throws IOException {
    long n = 0;
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      long line = 0;
      for (String s = r.readLine(); s != null; s = r.readLine()) {
        LearnRecord rec = parse(s, file + ":" + ++line);
        if (rec != null) {
          sink.accept(rec);
          n++;
        }
      }
    }
    return n;
  }

  /**
   * The lengths of {@code x} and {@code y} in one record, to size a model from its input.
   *
   * @throws IOException naming {@code where} for a line that is not such a record
   */
  public static int[] sizes(String line, String where) throws IOException {
    int[] d = new int[2];
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException(where + ": expected a JSON object {\"stream\":...,\"x\":[...],\"y\":[...]}");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT && t != null; t = p.nextToken()) {
        String field = p.currentName();
        if (p.nextToken() == JsonToken.START_ARRAY && (field.equals("x") || field.equals("y"))) {
          int n = 0;
          while (p.nextToken() != JsonToken.END_ARRAY) {
            n++;
          }
          d[field.equals("x") ? 0 : 1] = n;
        } else {
          p.skipChildren();
        }
      }
    } catch (JsonProcessingException e) {
      throw new IOException(where + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
    if (d[0] == 0 || d[1] == 0) {
      throw new IOException(where + ": field '" + (d[0] == 0 ? "x" : "y") + "' must be a non-empty array");
    }
    return d;
  }

  private static IOException duplicate(String where, String field) {
    return new IOException(where + ": field '" + field + "' appears twice");
  }

  private static float[] vector(JsonParser p, String where, String field, int length) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new IOException(where + ": field '" + field + "' must be an array of " + length + " numbers");
    }
    float[] v = new float[length];
    int i = 0;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
        throw new IOException(where + ": field '" + field + "[" + i + "]' must be a number");
      }
      if (i >= length) {
        throw new IOException(where + ": field '" + field + "' holds more than " + length + " values");
      }
      float f = p.getFloatValue();
      if (!Float.isFinite(f)) {
        throw new IOException(where + ": field '" + field + "[" + i + "]' is not a finite float: " + p.getText());
      }
      v[i++] = f;
    }
    if (i != length) {
      throw new IOException(where + ": field '" + field + "' holds " + i + " values; the model needs " + length);
    }
    return v;
  }
}
