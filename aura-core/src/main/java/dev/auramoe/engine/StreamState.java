package dev.auramoe.engine;

import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.util.Arrays;

/**
 * What one stream of a model owns: its cell state h, its spiking-attention state and its route count
 * (everything else of a model is shared by its streams), plus the recency bookkeeping of {@link Streams}.
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

  void reset() {
    Arrays.fill(h, 0f);
    if (attention != null) {
      attention.reset();
    }
    routes = 0;
  }
}
