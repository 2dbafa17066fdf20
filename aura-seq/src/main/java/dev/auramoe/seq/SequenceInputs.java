package dev.auramoe.seq;

import dev.auramoe.internal.vector.Approx;
import java.util.Arrays;

/**
 * The argument checks of {@link SequenceLayer#forward} and {@link SequenceLayer#backward}, shared by
 * the layers so that each refuses the same things with the same words, before anything changes.
 */
final class SequenceInputs {

  private SequenceInputs() {}

  /**
   * Checks a single step's arguments ({@link SequenceLayer#step}): array lengths, finite inputs and,
   * unless {@code elapsed} is ignored by the layer (pass NaN), an elapsed time finite and &gt;= 0 or NaN.
   *
   * @param layer the layer's name for the messages
   */
  static void checkStep(String layer, int in, int stateSize, float[] x, int xOff, float elapsed, float[] state,
      int stateOff) {
    if (xOff < 0 || x.length - xOff < in || stateOff < 0 || state.length - stateOff < stateSize) {
      throw new IllegalArgumentException(layer + ": a step needs " + in + " inputs from offset " + xOff + " (got "
          + x.length + " values) and a state of " + stateSize + " from offset " + stateOff + " (got " + state.length
          + ")");
    }
    if (elapsed < 0 || elapsed == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(layer + ": the elapsed time must be finite and >= 0 (or NaN for the regular "
          + "step), got " + elapsed);
    }
    for (int i = 0; i < in; i++) {
      if (!Float.isFinite(x[xOff + i])) {
        throw new IllegalArgumentException(layer + ": input " + i + " is not finite: " + x[xOff + i]);
      }
    }
  }

  /**
   * Checks a forward pass's arguments: shape, array lengths, first steps in [0, steps), finite inputs
   * at every real step and, when {@code checkElapsed}, elapsed times finite and &gt;= 0 or NaN at
   * every real step. Padding (steps before {@code first[r]}) is not read, so it is not checked.
   *
   * @param layer the layer's name for the messages
   * @return batch * steps
   */
  static int checkForward(String layer, int in, int hidden, float[] x, float[] elapsed, int[] first, int batch,
      int steps, float[] hs, boolean checkElapsed) {
    if (batch <= 0 || steps <= 0) {
      throw new IllegalArgumentException(layer + ": batch and steps must be > 0, got " + batch + ", " + steps);
    }
    int cells = Math.multiplyExact(batch, steps);
    long inputs = (long) cells * in;
    long states = (long) cells * hidden;
    if (inputs > Integer.MAX_VALUE - 8 || states > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(layer + ": " + steps + " steps of " + batch + " sequences exceed an array");
    }
    if (x.length < inputs || hs.length < states || (elapsed != null && elapsed.length < cells)
        || (first != null && first.length < batch)) {
      throw new IllegalArgumentException(layer + ": " + steps + " steps of " + batch + " sequences need " + inputs
          + " inputs (got " + x.length + "), " + states + " states (got " + hs.length + "), " + cells
          + " elapsed times (got " + (elapsed == null ? "null" : elapsed.length) + ") and " + batch
          + " first steps (got " + (first == null ? "null" : first.length) + ")");
    }
    for (int r = 0; r < batch; r++) {
      int f = first(first, r);
      if (f < 0 || f >= steps) {
        throw new IllegalArgumentException(layer + ": the first step of sequence " + r + " must lie in [0, " + steps
            + "), got " + f);
      }
    }
    if (checkElapsed) {
      checkElapsed(layer, elapsed, first, batch, steps);
    }
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        if (t < first(first, r)) {
          continue;
        }
        int k = t * batch + r;
        for (int i = 0; i < in; i++) {
          float v = x[k * in + i];
          if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(layer + ": input " + i + " at step " + t + " of sequence " + r
                + " is not finite: " + v);
          }
        }
      }
    }
    return cells;
  }

  /**
   * Refuses an elapsed time that is negative or infinite at a real step, naming step and sequence;
   * padding is not read. Null elapsed times (NaN everywhere) pass.
   */
  static void checkElapsed(String layer, float[] elapsed, int[] first, int batch, int steps) {
    if (elapsed == null) {
      return;
    }
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        float e = elapsed[t * batch + r];
        if (t >= first(first, r) && (e < 0 || e == Float.POSITIVE_INFINITY)) {
          throw new IllegalArgumentException(layer + ": elapsed time at step " + t + " of sequence " + r
              + " must be finite and >= 0 (or NaN for the regular step), got " + e);
        }
      }
    }
  }

  /** Checks a backward pass's arguments against the last forward pass's shape. */
  static void checkBackward(String layer, int in, int hidden, int batch, int steps, float[] dHs, float[] dXs) {
    if (batch == 0) {
      throw new IllegalStateException(layer + ": backward needs a forward pass first");
    }
    long cells = (long) batch * steps;
    if (dHs.length < cells * hidden || (dXs != null && dXs.length < cells * in)) {
      throw new IllegalArgumentException(layer + " backward: " + steps + " steps of " + batch + " sequences need "
          + cells * hidden + " state gradients (got " + dHs.length + ") and " + cells * in + " input gradients (got "
          + (dXs == null ? "null" : dXs.length) + ")");
    }
  }

  /**
   * Writes a forward pass's tape of inputs: {@code firsts[r]}, sequence r's first real step, and
   * {@code xs}, the inputs with zeros at padding (so that no padded value reaches a product).
   *
   * @param x the caller's inputs, time-major, {@code cells x in}; padding is not read
   */
  static void tapeInputs(float[] x, int[] first, int batch, int steps, int in, int[] firsts, float[] xs) {
    for (int r = 0; r < batch; r++) {
      firsts[r] = first(first, r);
    }
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        int xo = (t * batch + r) * in;
        if (t < firsts[r]) {
          Arrays.fill(xs, xo, xo + in, 0f);
        } else {
          System.arraycopy(x, xo, xs, xo, in);
        }
      }
    }
  }

  /** Sequence r's first real step; 0 when {@code first} is null. */
  static int first(int[] first, int r) {
    return first == null ? 0 : first[r];
  }

  /**
   * The transposed matrix of the states each step read, {@code H x cells}: column k holds the state
   * of cell {@code k - batch} (the same sequence's previous step), zero for the first step. The
   * recurrent weights' gradient is then one input-major product over every step,
   * {@code dW_h += H_prev^T dPre}.
   *
   * @param hs the states, time-major, {@code cells x H}
   * @param t receives the copy when it is large enough
   */
  static float[] previousStatesTransposed(float[] hs, int batch, int cells, int hidden, float[] t) {
    float[] out = Buffers.grow(t, hidden * cells);
    for (int i = 0; i < hidden; i++) {
      int o = i * cells;
      Arrays.fill(out, o, o + batch, 0f);
      for (int k = batch; k < cells; k++) {
        out[o + k] = hs[(k - batch) * hidden + i];
      }
    }
    return out;
  }

  /**
   * tanh through the core's float approximation ({@code Approx.tanh}, within a few ulp), as the
   * liquid cell computes it: built from exactly rounded operations only, so the same bits in every
   * JIT tier; the backward passes use 1 - s^2 of the value computed.
   */
  static float tanh(float a) {
    return Approx.tanh(a);
  }

  /**
   * The logistic sigmoid, {@code 1 / (1 + e^-a)}, through the core's float {@code Approx.exp}; the
   * backward passes use s (1 - s) of the value computed.
   */
  static float sigmoid(float a) {
    return 1f / (1f + Approx.exp(-a));
  }
}
