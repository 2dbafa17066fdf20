package dev.auramoe.server.journal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One state-changing operation of the server, as the operation log records it. Replaying the
 * operations of a model in log order, from its creation or from a snapshot, rebuilds its state bit
 * for bit: learning is not the only thing that changes a model (routing and predicting advance the
 * stream's cell state and the balancer; opening, closing, resetting and evicting streams change the
 * streams).
 *
 * <h2>Encoding, version 1 (little-endian)</h2>
 * <pre>
 * offset  size   field
 * 0       1      version (1)
 * 1       1      type ({@link Type#code()})
 * 2       2      m = byte length of the model name (UTF-8, unsigned)
 * 4       m      model name
 * 4+m     ...    body, by type:
 *   CREATE_MODEL                 n i32, the model spec as n bytes of JSON
 *   CONFIGURE, EXPERT_ADD,       n i32, the change as n bytes of JSON (see the factories)
 *   EXPERT_REMOVE, EXPERT_RENAME
 *   DELETE_MODEL                 (empty)
 *   LEARN                        a {@link LearnEvent} in its own version-1 encoding (rest of the record)
 *   ROUTE, ROUTE_BATCH, PREDICT  s u16, stream id (UTF-8), count i32, inputDim i32, count*inputDim f32
 *   STREAM_OPEN/CLOSE/RESET,     s u16, stream id (UTF-8)
 *   STREAM_EVICT
 *   RESTORE                      seq i64: the model was replaced by its snapshot covering seq
 *   ROUTER_CHANGE                {@link RouterChanges} in their own encoding (rest of the record)
 *   FEEDBACK_ANCHOR              (empty)
 *   IMPORT_MODEL                 n i32, the model spec as n bytes of JSON, k i32, the imported snapshot
 *                                as k bytes ({@link dev.auramoe.Snapshots}' framed format)
 * </pre>
 * Floats travel as their bits. {@code ROUTE} is a single route, {@code ROUTE_BATCH} a batch route
 * (the model has separate code paths for the two); single and batch predictions share
 * {@code PREDICT}.
 *
 * @param type what happened
 * @param model the model's name
 * @param stream the stream id (null for CREATE_MODEL and DELETE_MODEL)
 * @param count inputs of a ROUTE, ROUTE_BATCH or PREDICT (0 otherwise)
 * @param inputDim values per input row (0 when there are none)
 * @param xs the inputs, {@code count * inputDim} values, row after row (not copied; empty when none)
 * @param json CREATE_MODEL, IMPORT_MODEL: the spec; CONFIGURE, EXPERT_ADD, EXPERT_REMOVE, EXPERT_RENAME: the change;
 *     as JSON bytes (not copied); null otherwise
 * @param learn LEARN: the event; null otherwise
 * @param snapshot RESTORE: the log sequence number the restored snapshot covers; 0 otherwise
 * @param router ROUTER_CHANGE: the changes made to the router; null otherwise
 * @param image IMPORT_MODEL: the snapshot the model was made from, as framed bytes (not copied); null otherwise
 */
public record Operation(Type type, String model, String stream, int count, int inputDim, float[] xs, byte[] json,
    LearnEvent learn, long snapshot, RouterChanges router, byte[] image) {

  /** Format version written by {@link #encode()}. */
  public static final byte VERSION = 1;

  private static final float[] NONE = new float[0];

  /** The kinds of operation, with their type bytes. */
  public enum Type {
    /** A model was created. */
    CREATE_MODEL(1),
    /** A model was deleted. */
    DELETE_MODEL(2),
    /** Samples were learned. */
    LEARN(3),
    /** One input was routed. */
    ROUTE(4),
    /** A batch of inputs was routed. */
    ROUTE_BATCH(5),
    /** Inputs were predicted (single or batch). */
    PREDICT(6),
    /** A stream was opened. */
    STREAM_OPEN(7),
    /** A stream was closed. */
    STREAM_CLOSE(8),
    /** A stream's cell state was reset. */
    STREAM_RESET(9),
    /** The model was replaced by its latest snapshot. */
    RESTORE(10),
    /** The model's run-time settings changed (temperature, router learning rate, balancing). */
    CONFIGURE(11),
    /** An expert was added. */
    EXPERT_ADD(12),
    /** An expert was removed. */
    EXPERT_REMOVE(13),
    /** An expert was renamed. */
    EXPERT_RENAME(14),
    /**
     * A stream was closed to make room for another (the least recently used one of a model that held
     * all the streams it may); logged like a close, so that a replay evicts the same stream.
     */
    STREAM_EVICT(15),
    /**
     * The router's parameters were changed directly, by a feedback or a rollback of the feedback's
     * guard-rails: the changes as made, so that a replay repeats them without the guard.
     */
    ROUTER_CHANGE(16),
    /** The router's parameters now became the anchor that feedback's drift is measured from. */
    FEEDBACK_ANCHOR(17),
    /**
     * A model was made from a snapshot (a single-JVM {@link dev.auramoe.Snapshots} file): the record
     * carries the snapshot itself, so that a replay rebuilds the model bit for bit, as a creation's
     * replay rebuilds it from its spec.
     */
    IMPORT_MODEL(18);

    private final byte code;

    Type(int code) {
      this.code = (byte) code;
    }

    /** The type byte. */
    public byte code() {
      return code;
    }

    static Type of(byte code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown operation type " + code);
    }
  }

  /** Validates the shape. */
  public Operation {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(model, "model");
    xs = xs == null ? NONE : xs;
    switch (type) {
      case CREATE_MODEL, CONFIGURE, EXPERT_ADD, EXPERT_REMOVE, EXPERT_RENAME -> Objects.requireNonNull(json, "json");
      case IMPORT_MODEL -> {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(image, "image");
      }
      case LEARN -> Objects.requireNonNull(learn, "learn");
      case ROUTER_CHANGE -> Objects.requireNonNull(router, "router");
      case ROUTE, ROUTE_BATCH, PREDICT -> {
        Objects.requireNonNull(stream, "stream");
        if (count < 1 || inputDim < 1 || xs.length != (long) count * inputDim) {
          throw new IllegalArgumentException("xs must hold count * inputDim values, count and inputDim >= 1");
        }
      }
      case STREAM_OPEN, STREAM_CLOSE, STREAM_RESET, STREAM_EVICT -> Objects.requireNonNull(stream, "stream");
      case DELETE_MODEL, RESTORE, FEEDBACK_ANCHOR -> { }
    }
  }

  /** A CREATE_MODEL operation. */
  public static Operation create(String model, byte[] specJson) {
    return new Operation(Type.CREATE_MODEL, model, null, 0, 0, null, specJson, null, 0, null, null);
  }

  /**
   * A CONFIGURE, EXPERT_ADD, EXPERT_REMOVE or EXPERT_RENAME operation: a change of the model that
   * its JSON describes.
   */
  public static Operation change(Type type, String model, byte[] json) {
    if (type != Type.CONFIGURE && type != Type.EXPERT_ADD && type != Type.EXPERT_REMOVE
        && type != Type.EXPERT_RENAME) {
      throw new IllegalArgumentException("not a change operation: " + type);
    }
    return new Operation(type, model, null, 0, 0, null, json, null, 0, null, null);
  }

  /** An IMPORT_MODEL operation: the spec the model is served under and the snapshot it was made from. */
  public static Operation importModel(String model, byte[] specJson, byte[] snapshot) {
    return new Operation(Type.IMPORT_MODEL, model, null, 0, 0, null, specJson, null, 0, null, snapshot);
  }

  /** A DELETE_MODEL operation. */
  public static Operation delete(String model) {
    return new Operation(Type.DELETE_MODEL, model, null, 0, 0, null, null, null, 0, null, null);
  }

  /** A RESTORE operation: the model goes back to its snapshot covering {@code snapshotSeq}. */
  public static Operation restore(String model, long snapshotSeq) {
    return new Operation(Type.RESTORE, model, null, 0, 0, null, null, null, snapshotSeq, null, null);
  }

  /** A ROUTER_CHANGE operation. */
  public static Operation routerChange(String model, RouterChanges changes) {
    return new Operation(Type.ROUTER_CHANGE, model, null, 0, 0, null, null, null, 0, changes, null);
  }

  /** A FEEDBACK_ANCHOR operation. */
  public static Operation feedbackAnchor(String model) {
    return new Operation(Type.FEEDBACK_ANCHOR, model, null, 0, 0, null, null, null, 0, null, null);
  }

  /** A LEARN operation. */
  public static Operation learn(String model, LearnEvent event) {
    return new Operation(Type.LEARN, model, event.stream(), 0, 0, null, null, event, 0, null, null);
  }

  /** A ROUTE, ROUTE_BATCH or PREDICT operation. */
  public static Operation inputs(Type type, String model, String stream, int count, int inputDim, float[] xs) {
    if (type != Type.ROUTE && type != Type.ROUTE_BATCH && type != Type.PREDICT) {
      throw new IllegalArgumentException("not an input operation: " + type);
    }
    return new Operation(type, model, stream, count, inputDim, xs, null, null, 0, null, null);
  }

  /** A STREAM_OPEN, STREAM_CLOSE, STREAM_RESET or STREAM_EVICT operation. */
  public static Operation stream(Type type, String model, String stream) {
    if (type != Type.STREAM_OPEN && type != Type.STREAM_CLOSE && type != Type.STREAM_RESET
        && type != Type.STREAM_EVICT) {
      throw new IllegalArgumentException("not a stream operation: " + type);
    }
    return new Operation(type, model, stream, 0, 0, null, null, null, 0, null, null);
  }

  /**
   * The operation in the version-1 layout above, allocated once at its final size: an import's record
   * carries a whole snapshot, and a body built apart and then copied into the record would hold it twice.
   *
   * @throws IllegalArgumentException when the record would exceed the largest array
   *     ({@link #encodedSize()} tells beforehand)
   */
  public byte[] encode() {
    byte[] name = utf8(model, "model name");
    byte[] sid = stream == null ? null : utf8(stream, "stream id");
    byte[] nested = switch (type) {
      case LEARN -> learn.encode();
      case ROUTER_CHANGE -> router.encode();
      default -> null;
    };
    long size = 4L + name.length + bodySize(sid == null ? 0 : sid.length, nested == null ? 0 : nested.length);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a " + type + " record of " + size + " bytes is larger than an array");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    b.put(VERSION).put(type.code()).putShort((short) name.length).put(name);
    switch (type) {
      case CREATE_MODEL, CONFIGURE, EXPERT_ADD, EXPERT_REMOVE, EXPERT_RENAME -> b.putInt(json.length).put(json);
      case IMPORT_MODEL -> b.putInt(json.length).put(json).putInt(image.length).put(image);
      case DELETE_MODEL, FEEDBACK_ANCHOR -> { }
      case ROUTER_CHANGE, LEARN -> b.put(nested);
      case RESTORE -> b.putLong(snapshot);
      case ROUTE, ROUTE_BATCH, PREDICT -> {
        b.putShort((short) sid.length).put(sid).putInt(count).putInt(inputDim);
        b.asFloatBuffer().put(xs);
      }
      case STREAM_OPEN, STREAM_CLOSE, STREAM_RESET, STREAM_EVICT -> b.putShort((short) sid.length).put(sid);
    }
    return b.array();
  }

  /**
   * The length of {@link #encode()}'s bytes, without encoding: a caller checks it against the log's
   * largest record before anything is written. LEARN and ROUTER_CHANGE encode their event to measure it.
   */
  public long encodedSize() {
    int sid = stream == null ? 0 : utf8(stream, "stream id").length;
    int nested = switch (type) {
      case LEARN -> learn.encode().length;
      case ROUTER_CHANGE -> router.encode().length;
      default -> 0;
    };
    return 4L + utf8(model, "model name").length + bodySize(sid, nested);
  }

  /** The body's length, by type, given the stream id's length in bytes and a LEARN's or ROUTER_CHANGE's event's. */
  private long bodySize(int sid, int nested) {
    return switch (type) {
      case CREATE_MODEL, CONFIGURE, EXPERT_ADD, EXPERT_REMOVE, EXPERT_RENAME -> 4L + json.length;
      case IMPORT_MODEL -> 8L + json.length + image.length;
      case DELETE_MODEL, FEEDBACK_ANCHOR -> 0;
      case ROUTER_CHANGE, LEARN -> nested;
      case RESTORE -> 8;
      case ROUTE, ROUTE_BATCH, PREDICT -> 2L + sid + 8 + 4L * xs.length;
      case STREAM_OPEN, STREAM_CLOSE, STREAM_RESET, STREAM_EVICT -> 2L + sid;
    };
  }

  /**
   * Decodes an operation written by {@link #encode()}.
   *
   * @throws IllegalArgumentException for another version, an unknown type, or a truncated or padded
   *     record
   */
  public static Operation decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      byte version = b.get();
      if (version != VERSION) {
        throw new IllegalArgumentException("unsupported operation version " + version);
      }
      Type type = Type.of(b.get());
      String model = string(b);
      Operation op = switch (type) {
        case CREATE_MODEL, CONFIGURE, EXPERT_ADD, EXPERT_REMOVE, EXPERT_RENAME -> {
          int n = b.getInt();
          if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("JSON length does not match the record");
          }
          byte[] json = new byte[n];
          b.get(json);
          yield type == Type.CREATE_MODEL ? create(model, json) : change(type, model, json);
        }
        case IMPORT_MODEL -> {
          int n = b.getInt();
          if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("JSON length does not match the record");
          }
          byte[] json = new byte[n];
          b.get(json);
          int k = b.getInt();
          if (k < 0 || k > b.remaining()) {
            throw new IllegalArgumentException("snapshot length does not match the record");
          }
          byte[] image = new byte[k];
          b.get(image);
          yield importModel(model, json, image);
        }
        case DELETE_MODEL -> delete(model);
        case FEEDBACK_ANCHOR -> feedbackAnchor(model);
        case ROUTER_CHANGE -> {
          byte[] rest = new byte[b.remaining()];
          b.get(rest);
          yield routerChange(model, RouterChanges.decode(rest));
        }
        case RESTORE -> restore(model, b.getLong());
        case LEARN -> {
          byte[] rest = new byte[b.remaining()];
          b.get(rest);
          yield learn(model, LearnEvent.decode(rest));
        }
        case ROUTE, ROUTE_BATCH, PREDICT -> {
          String stream = string(b);
          int count = b.getInt();
          int in = b.getInt();
          if (count < 1 || in < 1 || 4L * count * in != b.remaining()) {
            throw new IllegalArgumentException("operation length does not match its header");
          }
          float[] xs = new float[count * in];
          b.asFloatBuffer().get(xs);
          b.position(b.limit());
          yield inputs(type, model, stream, count, in, xs);
        }
        case STREAM_OPEN, STREAM_CLOSE, STREAM_RESET, STREAM_EVICT -> stream(type, model, string(b));
      };
      if (b.hasRemaining()) {
        throw new IllegalArgumentException("operation has " + b.remaining() + " trailing bytes");
      }
      return op;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated operation", e);
    }
  }

  private static byte[] utf8(String s, String what) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException(what + " is longer than 65535 bytes");
    }
    return b;
  }

  private static String string(ByteBuffer b) {
    byte[] s = new byte[Short.toUnsignedInt(b.getShort())];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Operation p && type == p.type && model.equals(p.model) && Objects.equals(stream, p.stream)
        && count == p.count && inputDim == p.inputDim && Arrays.equals(xs, p.xs) && Arrays.equals(json, p.json)
        && Objects.equals(learn, p.learn) && snapshot == p.snapshot && Objects.equals(router, p.router)
        && Arrays.equals(image, p.image);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, model, stream, count, inputDim, Arrays.hashCode(xs), Arrays.hashCode(json), learn, snapshot,
        router, Arrays.hashCode(image));
  }

  @Override
  public String toString() {
    return "Operation[" + type + " " + model + (stream != null ? "/" + stream : "") + "]";
  }
}
