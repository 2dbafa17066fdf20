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
 * <p>Stream state formats v1 and v2 (big-endian, {@code f32[]} = int length then floats):
 * <pre>
 * magic     8 bytes 'A' 'U' 'R' 'A' 'S' 'T' 'R' 0x1A
 * version   i32 (1 or 2)
 * shape     hidden i32, [v2: experts with recent errors i32, their expert set i32], attention present
 *           bool [vocab i32, winners i32, decay f32, gainStrength f32, pruneBelow f32]
 * fields    routes i64, h f32[], [v2: recent f32[]], attention present bool [ids i32[], acc f32[],
 *           steps i64]
 * checksum  CRC-32C of every byte before it, i32
 * </pre>
 *
 * The fields are those of a stream in a snapshot payload of the same version (after its id), so both
 * formats describe a stream's state alike; as there, a stream without recent errors is written as v1.
 * The recent errors belong to one set of experts (the hash of their names in order, {@link #expertSet}):
 * a state imported into a model with other experts (after an expert-set change), into one that keeps
 * no recent errors, or from v1, takes everything else and starts the recent errors at 0, as a fresh
 * stream does. The shape is what a model must match to take the state: its cell's hidden size and its
 * attention configuration; the weights are not checked, since a stream's state
 * moves between copies of one model (replicas, a restart, a model whose expert set changed). The
 * id and the recency stamp do not travel: the id is the caller's key, and a stamp is bookkeeping on
 * the clock of the model that held the stream. The bytes are a function of the state alone: equal
 * states give equal bytes.
 */
final class StreamStateCodec {

  /** The 8 magic bytes. */
  static final byte[] MAGIC = {'A', 'U', 'R', 'A', 'S', 'T', 'R', 0x1A};
  /** The latest version; this build reads 1 to this. */
  static final int VERSION = 2;
  /** The bytes of the attention configuration in the shape: vocabulary, winners, decay, gain, prune. */
  private static final int ATTENTION_SHAPE = 4 + 4 + 4 + 4 + 4;
  /** Magic, version, hidden size, attention presence, the v1 fields of a stream without h or attention, checksum. */
  private static final int SMALLEST = MAGIC.length + 4 + 4 + 1 + fieldBytes(1, 0, 0, false, 0) + 4;

  private StreamStateCodec() {}

  // ------------------------------------------------------------------ one stream

  /**
   * The exported bytes of a stream.
   *
   * @throws IllegalStateException when the state holds a non-finite value, which {@link #decode}
   *     would refuse
   */
  static byte[] encode(StreamState s, int expertSet) {
    byte[] b = encodeOrNull(s, expertSet);
    if (b == null) {
      throw new IllegalStateException("stream '" + s.id + "' holds a non-finite value, which could not be imported"
          + " back; nothing was exported");
    }
    return b;
  }

  /** {@link #encode}, or null when the state holds a non-finite value. */
  static byte[] encodeOrNull(StreamState s, int expertSet) {
    AttentionConfig ac = s.attention == null ? null : s.attention.config();
    int version = version(s);
    int size = MAGIC.length + 4 + 4 + (version > 1 ? 8 : 0) + 1 + (ac == null ? 0 : ATTENTION_SHAPE)
        + fieldBytes(s, version) + 4;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(size);
    // A chunk of one stream's size, not of a model's.
    SnapshotCodec.PayloadOut o = new SnapshotCodec.PayloadOut(bytes, Float.BYTES * Math.max(1, s.h.length));
    try (o) {
      o.write(MAGIC);
      o.writeInt(version);
      o.writeInt(s.h.length);
      if (version > 1) {
        o.writeInt(s.recent.length);
        o.writeInt(expertSet);
      }
      o.writeBoolean(ac != null);
      if (ac != null) {
        o.writeInt(ac.vocabularySize());
        o.writeInt(ac.winners());
        o.writeFloat(ac.decay());
        o.writeFloat(ac.gainStrength());
        o.writeFloat(ac.pruneBelow());
      }
      writeFields(o, s, version);
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

  /** The oldest version that holds a stream's state: 2 when it keeps recent errors, else 1. */
  static int version(StreamState s) {
    return version(s.recent.length > 0);
  }

  /**
   * The oldest format (of snapshots and stream states alike) that holds state with or without recent
   * errors: 2 with, 1 without.
   */
  static int version(boolean recentErrors) {
    return recentErrors ? 2 : 1;
  }

  /** The fingerprint of an expert set that recent errors belong to: the hash of the names in order. */
  static int expertSet(java.util.List<? extends dev.auramoe.experts.Expert> experts) {
    int h = 1;
    for (dev.auramoe.experts.Expert e : experts) {
      h = 31 * h + e.name().hashCode();
    }
    return h;
  }

  /**
   * A new stream state for {@code id} from exported bytes, for a model with this hidden size, experts
   * with recent errors (0 for none) of this expert set, and attention configuration (null for none).
   * Changes nothing.
   *
   * @throws IllegalArgumentException when the bytes are truncated, damaged, of another format
   *     version or another shape, or hold a value a stream cannot have (non-finite, negative counts)
   */
  static StreamState decode(String id, byte[] state, int hidden, int recentExperts, int expertSet,
      AttentionConfig ac) {
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
    if (version < 1 || version > VERSION) {
      throw new IllegalArgumentException("unsupported stream state format version " + version + " (this build reads 1"
          + " to " + VERSION + ")");
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
      int theirRecent = 0;
      boolean sameExperts = false;
      if (version > 1) {
        theirRecent = in.readInt();
        int theirSet = in.readInt();
        if (theirRecent < 0 || theirRecent > state.length / Float.BYTES) {
          throw new IllegalArgumentException("corrupt stream state: expert count " + theirRecent + " does not fit its "
              + state.length + " bytes");
        }
        sameExperts = theirRecent == recentExperts && theirSet == expertSet;
      }
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
      StreamState s;
      if (sameExperts || version == 1) {
        s = new StreamState(id, hidden, recentExperts, ac);
        readFields(in, s, version);
      } else {
        // Recent errors of other experts: read and checked, then dropped; the model's start at 0.
        StreamState theirsState = new StreamState(id, hidden, theirRecent, ac);
        readFields(in, theirsState, version);
        s = new StreamState(id, hidden, recentExperts, ac);
        s.copyAllButRecent(theirsState);
      }
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
   * Writes a stream's fields as a snapshot payload of {@code version} holds them after the stream's
   * id: routes i64, h f32[], [v2: recent f32[]], attention present bool [ids i32[], acc f32[], steps
   * i64]. A non-finite value clears {@code o.finite}.
   *
   * @throws IllegalArgumentException for version 1 and a stream with recent errors, which v1 cannot hold
   */
  static void writeFields(SnapshotCodec.PayloadOut o, StreamState s, int version) throws IOException {
    if (version < version(s)) {
      throw new IllegalArgumentException("format v" + version + " cannot hold stream '" + s.id + "'s recent errors");
    }
    o.writeLong(s.routes);
    SnapshotCodec.writeFloats(o, s.h);
    if (version > 1) {
      SnapshotCodec.writeFloats(o, s.recent);
    }
    if (s.attention != null) {
      o.writeBoolean(true);
      SnapshotCodec.writeInts(o, s.attention.activeIds());
      SnapshotCodec.writeFloats(o, s.attention.activePotentials());
      o.writeLong(s.attention.steps());
    } else {
      o.writeBoolean(false);
    }
  }

  /** The number of bytes {@link #writeFields} writes for a stream in {@code version}. */
  static int fieldBytes(StreamState s, int version) {
    return fieldBytes(version, s.h.length, s.recent.length, s.attention != null,
        s.attention == null ? 0 : s.attention.activeCount());
  }

  /**
   * The bytes of a stream's fields in {@code version} with a cell state of {@code hidden}, recent
   * errors of {@code recent} experts and {@code active} attention tokens.
   */
  static int fieldBytes(int version, int hidden, int recent, boolean attention, int active) {
    return Long.BYTES + Integer.BYTES + Float.BYTES * hidden + (version > 1 ? Integer.BYTES + Float.BYTES * recent : 0)
        + 1
        + (attention ? Integer.BYTES + Integer.BYTES * active + Integer.BYTES + Float.BYTES * active + Long.BYTES : 0);
  }

  /**
   * Reads the fields {@link #writeFields} writes in {@code version} into a fresh stream state of the
   * model's shape, checking each (v1 leaves the recent errors at 0).
   *
   * @throws SnapshotException ("corrupt snapshot: ...") for a value a stream cannot have
   */
  static void readFields(DataInputStream in, StreamState s, int version) throws IOException {
    String id = s.id;
    s.routes = ModelState.requireNonNegative(in.readLong(), "route count of stream '" + id + "'");
    float[] h = SnapshotCodec.readFloats(in);
    if (h.length != s.h.length) {
      throw new SnapshotException("corrupt snapshot: state of stream '" + id + "' has " + h.length
          + " values, expected " + s.h.length);
    }
    System.arraycopy(h, 0, s.h, 0, h.length);
    if (version > 1) {
      float[] recent = SnapshotCodec.readFloats(in);
      if (recent.length != s.recent.length) {
        throw new SnapshotException("corrupt snapshot: recent errors of stream '" + id + "' has " + recent.length
            + " values, expected " + s.recent.length);
      }
      for (float r : recent) {
        if (r < 0f) {
          throw new SnapshotException("corrupt snapshot: negative recent error " + r + " of stream '" + id + "'");
        }
      }
      System.arraycopy(recent, 0, s.recent, 0, recent.length);
    }
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
