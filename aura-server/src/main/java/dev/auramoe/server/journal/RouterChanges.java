package dev.auramoe.server.journal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The changes one request made to a model's router directly, in the order they were made: what a
 * {@code ROUTER_CHANGE} operation carries, so that a replay repeats them bit for bit without the
 * guard that decided them ({@code dev.auramoe.feedback.GuardedRouter}). A feedback is a
 * {@link Teach} (the bounded update), followed by a {@link Set} when the drift cap projected the
 * router back toward its anchor; a rollback is a {@link Set} of the anchor.
 *
 * <h2>Encoding (little-endian)</h2>
 * <pre>
 * n i32, then n changes, each a kind byte and its fields:
 *   1 (teach)  h: length i32 + f32s, x: length i32 + f32s, delta: length i32 + f32s, maxChange f64
 *   2 (set)    parameters: length i32 + f32s
 * </pre>
 * Floats travel as their bits, {@code maxChange} as a double's bits (infinite: no bound).
 *
 * @param changes the changes, in order; at least one
 */
public record RouterChanges(List<Change> changes) {

  private static final byte TEACH = 1;
  private static final byte SET = 2;

  /** One change of the router. */
  public sealed interface Change permits Teach, Set {}

  /**
   * {@code MixtureOfExperts.teachRouter(h, x, delta, maxChange)}.
   *
   * @param h the router's state features of the route
   * @param x the route's input
   * @param delta the per-expert target of the update
   * @param maxChange the bound of the change's norm (infinite: none)
   */
  public record Teach(float[] h, float[] x, float[] delta, double maxChange) implements Change {

    /** Checks for null. */
    public Teach {
      Objects.requireNonNull(h, "h");
      Objects.requireNonNull(x, "x");
      Objects.requireNonNull(delta, "delta");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Teach t && Arrays.equals(h, t.h) && Arrays.equals(x, t.x) && Arrays.equals(delta, t.delta)
          && Double.compare(maxChange, t.maxChange) == 0;
    }

    @Override
    public int hashCode() {
      return Objects.hash(Arrays.hashCode(h), Arrays.hashCode(x), Arrays.hashCode(delta), maxChange);
    }

    @Override
    public String toString() {
      return "Teach[h=" + h.length + ", x=" + x.length + ", delta=" + delta.length + ", maxChange=" + maxChange + "]";
    }
  }

  /**
   * {@code MixtureOfExperts.setRouterParameters(parameters)}.
   *
   * @param parameters every parameter of the router, in the layout of {@code routerParameters()}
   */
  public record Set(float[] parameters) implements Change {

    /** Checks for null. */
    public Set {
      Objects.requireNonNull(parameters, "parameters");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Set s && Arrays.equals(parameters, s.parameters);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(parameters);
    }

    @Override
    public String toString() {
      return "Set[" + parameters.length + "]";
    }
  }

  /** Copies the list and checks it is not empty. */
  public RouterChanges {
    changes = List.copyOf(changes);
    if (changes.isEmpty()) {
      throw new IllegalArgumentException("a router change needs at least one change");
    }
  }

  /** The changes in the layout above. */
  public byte[] encode() {
    long size = 4;
    for (Change c : changes) {
      size += 1 + switch (c) {
        case Teach t -> 12 + 4L * (t.h.length + t.x.length + t.delta.length) + 8;
        case Set s -> 4 + 4L * s.parameters.length;
      };
    }
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("router changes of " + size + " bytes are too large for one record");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(changes.size());
    for (Change c : changes) {
      switch (c) {
        case Teach t -> {
          b.put(TEACH);
          floats(b, t.h);
          floats(b, t.x);
          floats(b, t.delta);
          b.putDouble(t.maxChange);
        }
        case Set s -> {
          b.put(SET);
          floats(b, s.parameters);
        }
      }
    }
    return b.array();
  }

  /**
   * Decodes changes written by {@link #encode()}.
   *
   * @param bytes the encoding; not modified
   * @throws IllegalArgumentException for an unknown kind, a bad length, or a truncated or padded encoding
   */
  public static RouterChanges decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      int n = b.getInt();
      // Each change takes at least 5 bytes: a count beyond that is damage, not an allocation to make.
      if (n < 1 || n > b.remaining() / 5) {
        throw new IllegalArgumentException("router changes count " + n + " does not match the record");
      }
      List<Change> changes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte kind = b.get();
        changes.add(switch (kind) {
          case TEACH -> new Teach(floats(b), floats(b), floats(b), b.getDouble());
          case SET -> new Set(floats(b));
          default -> throw new IllegalArgumentException("unknown router change kind " + kind);
        });
      }
      if (b.hasRemaining()) {
        throw new IllegalArgumentException("router changes have " + b.remaining() + " trailing bytes");
      }
      return new RouterChanges(changes);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated router changes", e);
    }
  }

  private static void floats(ByteBuffer b, float[] v) {
    b.putInt(v.length);
    b.asFloatBuffer().put(v);
    b.position(b.position() + 4 * v.length);
  }

  private static float[] floats(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining() / 4) {
      throw new IllegalArgumentException("vector length " + n + " does not match the record");
    }
    float[] v = new float[n];
    b.asFloatBuffer().get(v);
    b.position(b.position() + 4 * n);
    return v;
  }
}
