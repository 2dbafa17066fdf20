package dev.auramoe.engine;

import dev.auramoe.io.SnapshotException;
import dev.auramoe.spiking.AttentionConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * One stream's state as bytes ({@code MixtureOfExperts.exportStream}), and the per-stream fields
 * that snapshots write for every stream ({@link SnapshotCodec}), written and checked in one place.
 *
 * <p>Stream state format v1 (big-endian, {@code f32[]} = int length then floats):
 * <pre>
 * magic     8 bytes 'A' 'U' 'R' 'A' 'S' 'T' 'R' 0x1A
 * version   i32 (current: 1)
 * shape     hidden i32, attention present bool [vocab i32, winners i32, decay f32, gainStrength f32,
 *           pruneBelow f32]
 * fields    routes i64, h f32[], attention present bool [ids i32[], acc f32[], steps i64]
 * checksum  CRC-32C of every byte before it, i32
 * </pre>
 *
 * The fields are those of a stream in snapshot payload v1 (after its id), so both formats describe
 * a stream's state alike. The shape is what a model must match to take the state: its cell's
 * hidden size and its attention configuration; the weights are not checked, since a stream's state
 * moves between copies of one model (replicas, a restart, a model whose expert set changed). The
 * id and the recency stamp do not travel: the id is the caller's key, and a stamp is bookkeeping on
 * the clock of the model that held the stream. The bytes are a function of the state alone: equal
 * states give equal bytes.
 */
final class StreamStateCodec {

  /** The 8 magic bytes. */
  static final byte[] MAGIC = {'A', 'U', 'R', 'A', 'S', 'T', 'R', 0x1A};
  /** The version written by this build. */
  static final int VERSION = 1;
  /** The bytes of the attention configuration in the shape: vocabulary, winners, decay, gain, prune. */
  private static final int ATTENTION_SHAPE = 4 + 4 + 4 + 4 + 4;
  /** Magic, version, hidden size, attention presence, the fields of a stream without h or attention, checksum. */
  private static final int SMALLEST = MAGIC.length + 4 + 4 + 1 + fieldBytes(0, false, 0) + 4;

  private StreamStateCodec() {}

  // ------------------------------------------------------------------ one stream

  /**
   * The exported bytes of a stream.
   *
   * @throws IllegalStateException when the state holds a non-finite value, which {@link #decode}
   *     would refuse
   */
  static byte[] encode(StreamState s) {
    byte[] b = encodeOrNull(s);
    if (b == null) {
      throw new IllegalStateException("stream '" + s.id + "' holds a non-finite value, which could not be imported"
          + " back; nothing was exported");
    }
    return b;
  }

  /** {@link #encode}, or null when the state holds a non-finite value. */
  static byte[] encodeOrNull(StreamState s) {
    AttentionConfig ac = s.attention == null ? null : s.attention.config();
    int size = MAGIC.length + 4 + 4 + 1 + (ac == null ? 0 : ATTENTION_SHAPE) + fieldBytes(s) + 4;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(size);
    // A chunk of one stream's size, not of a model's.
    SnapshotCodec.PayloadOut o = new SnapshotCodec.PayloadOut(bytes, Float.BYTES * Math.max(1, s.h.length));
    try (o) {
      o.write(MAGIC);
      o.writeInt(VERSION);
      o.writeInt(s.h.length);
      o.writeBoolean(ac != null);
      if (ac != null) {
        o.writeInt(ac.vocabularySize());
        o.writeInt(ac.winners());
        o.writeFloat(ac.decay());
        o.writeFloat(ac.gainStrength());
        o.writeFloat(ac.pruneBelow());
      }
      writeFields(o, s);
      o.writeInt(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!o.finite) {
      return null;
    }
    byte[] b = bytes.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    ByteBuffer.wrap(b).putInt(b.length - 4, (int) crc.getValue());
    return b;
  }

  /**
   * A new stream state for {@code id} from exported bytes, for a model with this hidden size and
   * attention configuration (null for none). Changes nothing.
   *
   * @throws IllegalArgumentException when the bytes are truncated, damaged, of another format
   *     version or another shape, or hold a value a stream cannot have (non-finite, negative counts)
   */
  static StreamState decode(String id, byte[] state, int hidden, AttentionConfig ac) {
    Objects.requireNonNull(state, "state");
    if (state.length < SMALLEST) {
      throw new IllegalArgumentException("stream state is truncated: " + state.length + " bytes, fewer than the "
          + SMALLEST + " of the smallest one");
    }
    if (!Arrays.equals(state, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IllegalArgumentException("not an aura-moe stream state (bad magic)");
    }
    ByteBuffer b = ByteBuffer.wrap(state);
    int version = b.getInt(MAGIC.length);
    if (version != VERSION) {
      throw new IllegalArgumentException("unsupported stream state format version " + version + " (this build reads "
          + VERSION + ")");
    }
    int body = state.length - 4;
    CRC32C crc = new CRC32C();
    crc.update(state, 0, body);
    if (b.getInt(body) != (int) crc.getValue()) {
      throw new IllegalArgumentException("corrupt stream state: checksum mismatch (the " + state.length
          + " bytes are damaged or truncated)");
    }
    int from = MAGIC.length + 4;
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(state, from, body - from));
    try {
      int theirHidden = in.readInt();
      AttentionConfig theirs = null;
      if (in.readBoolean()) {
        try {
          theirs = new AttentionConfig(in.readInt(), in.readInt(), in.readFloat(), in.readFloat(), in.readFloat());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("corrupt stream state: attention configuration: " + e.getMessage(), e);
        }
      }
      if (theirHidden != hidden || !Objects.equals(theirs, ac)) {
        throw new IllegalArgumentException("stream state of a model with " + shape(theirHidden, theirs)
            + " cannot be imported into this model, which has " + shape(hidden, ac));
      }
      StreamState s = new StreamState(id, hidden, ac);
      readFields(in, s);
      if (in.available() > 0) {
        throw new IllegalArgumentException("corrupt stream state: " + in.available() + " bytes after the fields");
      }
      return s;
    } catch (SnapshotException e) {
      String m = e.getMessage();
      String prefix = "corrupt snapshot: ";
      throw new IllegalArgumentException("corrupt stream state: " + (m.startsWith(prefix) ? m.substring(prefix.length())
          : m), e);
    } catch (EOFException e) {
      throw new IllegalArgumentException("corrupt stream state: the fields end early", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String shape(int hidden, AttentionConfig ac) {
    return "hidden size " + hidden + " and " + (ac == null ? "no attention" : "attention " + ac);
  }

  // ------------------------------------------------------------------ the fields snapshots share

  /**
   * Writes a stream's fields as snapshot payload v1 holds them after the stream's id: routes i64,
   * h f32[], attention present bool [ids i32[], acc f32[], steps i64]. A non-finite value clears
   * {@code o.finite}.
   */
  static void writeFields(SnapshotCodec.PayloadOut o, StreamState s) throws IOException {
    o.writeLong(s.routes);
    SnapshotCodec.writeFloats(o, s.h);
    if (s.attention != null) {
      o.writeBoolean(true);
      SnapshotCodec.writeInts(o, s.attention.activeIds());
      SnapshotCodec.writeFloats(o, s.attention.activePotentials());
      o.writeLong(s.attention.steps());
    } else {
      o.writeBoolean(false);
    }
  }

  /** The number of bytes {@link #writeFields} writes for a stream. */
  static int fieldBytes(StreamState s) {
    return fieldBytes(s.h.length, s.attention != null, s.attention == null ? 0 : s.attention.activeCount());
  }

  /** The bytes of a stream's fields with a cell state of {@code hidden} and {@code active} attention tokens. */
  private static int fieldBytes(int hidden, boolean attention, int active) {
    return Long.BYTES + Integer.BYTES + Float.BYTES * hidden + 1
        + (attention ? Integer.BYTES + Integer.BYTES * active + Integer.BYTES + Float.BYTES * active + Long.BYTES : 0);
  }

  /**
   * Reads the fields {@link #writeFields} writes into a fresh stream state of the model's shape,
   * checking each.
   *
   * @throws SnapshotException ("corrupt snapshot: ...") for a value a stream cannot have
   */
  static void readFields(DataInputStream in, StreamState s) throws IOException {
    String id = s.id;
    s.routes = ModelState.requireNonNegative(in.readLong(), "route count of stream '" + id + "'");
    float[] h = SnapshotCodec.readFloats(in);
    if (h.length != s.h.length) {
      throw new SnapshotException("corrupt snapshot: state of stream '" + id + "' has " + h.length
          + " values, expected " + s.h.length);
    }
    System.arraycopy(h, 0, s.h, 0, h.length);
    boolean hasAttention = in.readBoolean();
    if (hasAttention != (s.attention != null)) {
      throw new SnapshotException("corrupt snapshot: attention state of stream '" + id
          + "' does not match the config");
    }
    if (hasAttention) {
      int[] ids = SnapshotCodec.readInts(in);
      float[] acc = SnapshotCodec.readFloats(in);
      long steps = ModelState.requireNonNegative(in.readLong(), "attention step count of stream '" + id + "'");
      try {
        s.attention.restore(ids, acc, steps);
      } catch (IllegalArgumentException e) {
        throw new SnapshotException("corrupt snapshot: attention state of stream '" + id + "': " + e.getMessage(), e);
      }
    }
  }
}
