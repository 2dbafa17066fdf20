package dev.auramoe.flink;

import java.util.Arrays;
import java.util.Objects;

/**
 * One learn step of one stream: the body of the service's {@code POST /v1/models/{name}/learn}
 * ({@code {"stream":"sensor-7","x":[...],"y":[...]}}), read one JSON object a line by
 * {@link LearnRecords}. A Flink POJO (public fields, a no-argument constructor), so that the
 * shuffle serialises it without Kryo.
 */
public final class LearnRecord {

  /** The stream's id; {@code "default"} when the line names none, as in the service. */
  public String stream;
  /** The input. */
  public float[] x;
  /** The target. */
  public float[] y;
  /**
   * The record's place in the input (0, 1, ...), numbered after the source by the expert-parallel job;
   * not part of the record's value (equals and hashCode ignore it).
   */
  public long seq;

  /** For Flink's POJO serializer. */
  public LearnRecord() {}

  /** A record of these values (not copied). */
  public LearnRecord(String stream, float[] x, float[] y) {
    this.stream = stream;
    this.x = x;
    this.y = y;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LearnRecord r && Objects.equals(stream, r.stream) && Arrays.equals(x, r.x)
        && Arrays.equals(y, r.y);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stream, Arrays.hashCode(x), Arrays.hashCode(y));
  }

  @Override
  public String toString() {
    return "LearnRecord[" + stream + ", x=" + Arrays.toString(x) + ", y=" + Arrays.toString(y) + "]";
  }
}
