package dev.auramoe.engine;

import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.util.Arrays;

/**
 * What one stream of a model owns: its cell state h, its experts' recent errors (when the router reads
 * them, {@link dev.auramoe.RecentErrors}), its spiking-attention state and its route count (everything
 * else of a model is shared by its streams), plus the recency bookkeeping of {@link Streams}.
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
  /** Per expert, the average of its recent squared errors on this stream's targets; empty when off. */
  final float[] recent;
  final SpikingAttention attention;
  long routes;
  /** The stamp of the stream's last use (bookkeeping, not model state). */
  long stamp;
  /** Neighbours in the recency order of {@link Streams}. */
  StreamState older;
  StreamState newer;

  /**
   * A fresh stream's state.
   *
   * @param recentExperts the experts whose recent errors it keeps (0 when the router reads none)
   */
  StreamState(String id, int hidden, int recentExperts, AttentionConfig ac) {
    this.id = id;
    this.h = new float[hidden];
    this.recent = new float[recentExperts];
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

  /** Makes the state that of a fresh stream: zero cell state and recent errors, empty attention, no routes. */
  void reset() {
    Arrays.fill(h, 0f);
    Arrays.fill(recent, 0f);
    if (attention != null) {
      attention.reset();
    }
    routes = 0;
  }

  /**
   * Makes the state a copy of {@code from}'s, a stream of a model of the same shape (hidden size,
   * experts and attention configuration); the id and the recency bookkeeping stay.
   */
  void copyFrom(StreamState from) {
    System.arraycopy(from.recent, 0, recent, 0, recent.length);
    copyAllButRecent(from);
  }

  /**
   * As {@link #copyFrom}, from a stream of the model before an expert-set change: expert j's recent
   * error comes from expert {@code expertFrom[j]} of {@code from}, or is 0 for a fresh one (-1), as it
   * is when either model keeps no recent errors.
   */
  void copyFrom(StreamState from, int[] expertFrom) {
    for (int j = 0; j < recent.length; j++) {
      int e = expertFrom[j];
      recent[j] = e >= 0 && e < from.recent.length ? from.recent[e] : 0f;
    }
    copyAllButRecent(from);
  }

  private void copyAllButRecent(StreamState from) {
    System.arraycopy(from.h, 0, h, 0, h.length);
    if (from.attention != null) {
      attention.restore(from.attention.activeIds(), from.attention.activePotentials(), from.attention.steps());
    }
    routes = from.routes;
  }
}
