package dev.auramoe.testing;

import java.nio.ByteBuffer;

/** Reads fields out of an exported stream state (format v2, see {@code StreamStateCodec}). */
public final class StreamBytes {

  private StreamBytes() {}

  /** Offset of the expert count in a v2 state: after magic 8, version 4, hidden 4. */
  public static final int EXPERTS_AT = 16;
  /** Offset of the expert set's fingerprint. */
  public static final int EXPERT_SET_AT = 20;

  /** The recent errors of an exported v2 stream state: after the shape, the route count and h. */
  public static float[] recentErrors(byte[] state) {
    ByteBuffer b = ByteBuffer.wrap(state);
    if (b.getInt(8) != 2) {
      throw new IllegalArgumentException("not a v2 stream state: version " + b.getInt(8));
    }
    int hidden = b.getInt(12);
    int at = EXPERT_SET_AT + 4;
    at += 1 + (state[at] == 1 ? 20 : 0) + 8;
    if (b.getInt(at) != hidden) {
      throw new IllegalStateException("h has " + b.getInt(at) + " values, the shape says " + hidden);
    }
    at += 4 + 4 * hidden;
    float[] r = new float[b.getInt(at)];
    for (int i = 0; i < r.length; i++) {
      r[i] = b.getFloat(at + 4 + 4 * i);
    }
    return r;
  }
}
