package dev.auramoe.server.journal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One learn request as the journal sees it: {@code count} consecutive (x, y) samples of one stream,
 * applied in row order. A single learn is a batch of one.
 *
 * <h2>Encoding, version 1 (little-endian)</h2>
 * <pre>
 * offset  size              field
 * 0       1                 version (1)
 * 1       1                 type (1 = learn)
 * 2       2                 n = byte length of the stream id (UTF-8, unsigned)
 * 4       n                 stream id
 * 4+n     4                 count
 * 8+n     4                 inputDim
 * 12+n    4                 outputDim
 * 16+n    4*count*inputDim  xs, row after row (IEEE 754 float bits)
 * ...     4*count*outputDim ys, row after row
 * </pre>
 * Floats travel as their bits, so a replay applies exactly the values that were learned.
 *
 * @param stream the stream id
 * @param count number of samples, &gt;= 1
 * @param inputDim values per input row
 * @param outputDim values per target row
 * @param xs {@code count * inputDim} inputs, row after row (not copied)
 * @param ys {@code count * outputDim} targets, row after row (not copied)
 */
public record LearnEvent(String stream, int count, int inputDim, int outputDim, float[] xs, float[] ys) {

  /** Format version written by {@link #encode()}. */
  public static final byte VERSION = 1;

  /** Type tag of a learn event. */
  public static final byte TYPE_LEARN = 1;

  /** Validates the shape. */
  public LearnEvent {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(xs, "xs");
    Objects.requireNonNull(ys, "ys");
    if (count < 1 || inputDim < 1 || outputDim < 1) {
      throw new IllegalArgumentException("count, inputDim and outputDim must be >= 1");
    }
    if (xs.length != (long) count * inputDim || ys.length != (long) count * outputDim) {
      throw new IllegalArgumentException("xs and ys must hold count * inputDim and count * outputDim values");
    }
  }

  /** The event in the version-1 layout above. */
  public byte[] encode() {
    byte[] id = stream.getBytes(StandardCharsets.UTF_8);
    if (id.length > 0xFFFF) {
      throw new IllegalArgumentException("stream id is longer than 65535 bytes");
    }
    ByteBuffer b = ByteBuffer.allocate(16 + id.length + 4 * (xs.length + ys.length)).order(ByteOrder.LITTLE_ENDIAN);
    b.put(VERSION).put(TYPE_LEARN).putShort((short) id.length).put(id);
    b.putInt(count).putInt(inputDim).putInt(outputDim);
    b.asFloatBuffer().put(xs).put(ys);
    return b.array();
  }

  /**
   * Decodes an event written by {@link #encode()}.
   *
   * @param bytes the event; not modified
   * @throws IllegalArgumentException for another version or type, or a truncated or padded event
   */
  public static LearnEvent decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      byte version = b.get();
      byte type = b.get();
      if (version != VERSION || type != TYPE_LEARN) {
        throw new IllegalArgumentException("unsupported event version " + version + " or type " + type);
      }
      byte[] id = new byte[Short.toUnsignedInt(b.getShort())];
      b.get(id);
      int count = b.getInt();
      int in = b.getInt();
      int out = b.getInt();
      if (count < 1 || in < 1 || out < 1 || 4L * count * ((long) in + out) != b.remaining()) {
        throw new IllegalArgumentException("event length does not match its header");
      }
      float[] xs = new float[count * in];
      float[] ys = new float[count * out];
      b.asFloatBuffer().get(xs).get(ys);
      return new LearnEvent(new String(id, StandardCharsets.UTF_8), count, in, out, xs, ys);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated event", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LearnEvent e && stream.equals(e.stream) && count == e.count && inputDim == e.inputDim
        && outputDim == e.outputDim && Arrays.equals(xs, e.xs) && Arrays.equals(ys, e.ys);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stream, count, inputDim, outputDim, Arrays.hashCode(xs), Arrays.hashCode(ys));
  }

  @Override
  public String toString() {
    return "LearnEvent[stream=" + stream + ", count=" + count + ", " + inputDim + " -> " + outputDim + "]";
  }
}
