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
  /** Scratch of a many-stream call: this stream's inputs counted so far (not state). */
  int pending;

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
   * Makes the state a copy of {@code from}'s, a stream of the model before an expert-set change (the
   * same hidden size and attention configuration); the id and the recency bookkeeping stay. Expert j's
   * recent error comes from expert {@code expertFrom[j]} of {@code from}; a fresh one ({@code -1})
   * starts at the mean of the carried ones, so that the router neither favours nor avoids it (0 when
   * none is carried, or when {@code from} kept no recent errors).
   */
  void copyFrom(StreamState from, int[] expertFrom) {
    float sum = 0f;
    int carried = 0;
    for (int j = 0; j < recent.length; j++) {
      int e = expertFrom[j];
      if (e >= 0 && e < from.recent.length) {
        recent[j] = from.recent[e];
        sum += recent[j];
        carried++;
      }
    }
    for (int j = 0; j < recent.length; j++) {
      int e = expertFrom[j];
      if (!(e >= 0 && e < from.recent.length)) {
        recent[j] = carried == 0 ? 0f : sum / carried;
      }
    }
    copyAllButRecent(from);
  }

  /** Sets expert e's recent error to the mean of the others', as a fresh expert's (0 when it is alone). */
  void resetRecentError(int e) {
    float sum = 0f;
    for (int j = 0; j < recent.length; j++) {
      sum += j == e ? 0f : recent[j];
    }
    recent[e] = recent.length > 1 ? sum / (recent.length - 1) : 0f;
  }

  /** Copies the cell state, the attention and the route count of {@code from}, a stream of the same shape. */
  void copyAllButRecent(StreamState from) {
    System.arraycopy(from.h, 0, h, 0, h.length);
    if (from.attention != null) {
      attention.restore(from.attention.activeIds(), from.attention.activePotentials(), from.attention.steps());
    }
    routes = from.routes;
  }
}
