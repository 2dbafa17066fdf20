package dev.auramoe.engine;

import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.util.Arrays;

/**
 * What one stream of a model owns: its cell state h, its spiking-attention state and its route count
 * (everything else of a model is shared by its streams), plus the recency bookkeeping of {@link Streams}.
 *
 * <p>This class is where a stream's state is declared: a new per-stream field is added here, to
 * {@link #reset} and {@link #copyFrom} below, and to {@link StreamStateCodec}'s {@code writeFields},
 * {@code readFields} and {@code fieldBytes}, which snapshots and exported stream states share (so a
 * new field changes both formats: new versions and a new golden snapshot). Nothing else of the engine
 * names a stream's fields.
 */
final class StreamState {
  final String id;
  final float[] h;
  final SpikingAttention attention;
  long routes;
  /** The stamp of the stream's last use (bookkeeping, not model state). */
  long stamp;
  /** Neighbours in the recency order of {@link Streams}. */
  StreamState older;
  StreamState newer;

  StreamState(String id, int hidden, AttentionConfig ac) {
    this.id = id;
    this.h = new float[hidden];
    this.attention = ac == null ? null : new SpikingAttention(ac);
  }

  /**
   * Checks tokens for this stream's spiking attention (null tokens pass).
   *
   * @throws IllegalArgumentException when the model has no attention or a token is out of range
   */
  void checkTokens(int[] tokens) {
    if (tokens == null) {
      return;
    }
    if (attention == null) {
      throw new IllegalArgumentException("tokens given but the model has no spiking attention (builder.attention)");
    }
    attention.validate(tokens, 0, tokens.length);
  }

  /** Makes the state that of a fresh stream: zero cell state, empty attention, no routes. */
  void reset() {
    Arrays.fill(h, 0f);
    if (attention != null) {
      attention.reset();
    }
    routes = 0;
  }

  /**
   * Makes the state a copy of {@code from}'s, a stream of a model of the same shape (hidden size and
   * attention configuration); the id and the recency bookkeeping stay.
   */
  void copyFrom(StreamState from) {
    System.arraycopy(from.h, 0, h, 0, h.length);
    if (from.attention != null) {
      attention.restore(from.attention.activeIds(), from.attention.activePotentials(), from.attention.steps());
    }
    routes = from.routes;
  }
}
