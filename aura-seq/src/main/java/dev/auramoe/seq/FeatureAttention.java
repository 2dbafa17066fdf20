package dev.auramoe.seq;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Feature-level attention: per step, a weight for each of the F input variables computed from that
 * step's input, which scales the variable before the recurrent layers see it.
 *
 * <pre>
 * z      = W x + b                       (a {@link Dense} F -&gt; F)
 * alpha  = F softmax(z)                  (sum_i alpha_i = F: a weight 1 is neutral)
 * x~_i   = alpha_i x_i
 *
 * backward, G = dL/dx~:
 * dalpha_i = G_i x_i
 * dz_j     = alpha_j (dalpha_j - sum_i (alpha_i / F) dalpha_i)
 * dx_i     = G_i alpha_i + sum_j W[i][j] dz_j
 * </pre>
 *
 * Why a softmax rather than a sigmoid gate per variable: the weights share a fixed budget, so a
 * variable is suppressed by giving its weight to the others, and the weights compare across
 * variables and steps as a distribution (alpha / F) that can be read after training. The factor F
 * keeps the scale of x~ that of x; W starts at zero, so the layer starts as the identity
 * (alpha = 1) and every variable is heard until the training moves the weights. With a single
 * variable the weight is always 1 (there is nothing to compare it with) and W, b get no gradient.
 *
 * <p>Left padding as {@link SequenceLayer}: before {@code first[r]} the weights and outputs are 0,
 * the inputs ignored (even when not finite) and their gradients 0. The weights of the last
 * forward pass stay readable ({@link #weights()}, {@link #meanWeights}) until the next one.
 * Neither pass allocates once the workspaces have grown. Not thread-safe.
 */
public final class FeatureAttention implements Trainable {

  private final int features;
  private final Dense score;
  private int batch;
  private int steps;
  private int[] first = new int[0];
  /** Inputs with the padding zeroed, the weights alpha, and scratch of the score's logits and gradients. */
  private float[] xs = new float[0];
  private float[] alpha = new float[0];
  private float[] z = new float[0];
  private float[] dxScore = new float[0];

  /**
   * @param name prefix of the parameters' names ({@code name.W}, {@code name.b})
   * @param features F, at least 1
   */
  public FeatureAttention(String name, int features, Random random) {
    this.features = features;
    this.score = new Dense(name, features, features, random);
    Arrays.fill(score.weights().values(), 0f);
  }

  /** F. */
  public int features() {
    return features;
  }

  /** The score layer (W, b). */
  public Dense score() {
    return score;
  }

  @Override
  public List<Parameter> parameters() {
    return score.parameters();
  }

  /**
   * x~ for a batch in the layers' layout ({@link SequenceLayer}); keeps the tape.
   *
   * @param x {@code steps * batch * F} inputs, not modified
   * @param first each sequence's first real step, or null
   * @param out receives x~, same layout (zeros at padding); must not alias x
   */
  public void forward(float[] x, int[] first, int batch, int steps, float[] out) {
    if (batch <= 0 || steps <= 0) {
      throw new IllegalArgumentException("batch and steps must be > 0, got " + batch + ", " + steps);
    }
    int cells = Math.multiplyExact(batch, steps);
    int n = Math.multiplyExact(cells, features);
    if (x.length < n || out.length < n) {
      throw new IllegalArgumentException("feature attention: " + steps + " steps of " + batch + " sequences need "
          + n + " inputs and outputs");
    }
    Padding.check(first, batch, steps);
    Padding.checkInputs(x, first, batch, steps, features);
    xs = Buffers.grow(xs, n);
    alpha = Buffers.grow(alpha, n);
    z = Buffers.grow(z, n);
    this.first = Buffers.grow(this.first, batch);
    for (int r = 0; r < batch; r++) {
      this.first[r] = SequenceInputs.first(first, r);
    }
    this.batch = batch;
    this.steps = steps;
    System.arraycopy(x, 0, xs, 0, n);
    for (int r = 0; r < batch; r++) {
      for (int t = 0; t < this.first[r]; t++) {
        Arrays.fill(xs, (t * batch + r) * features, (t * batch + r + 1) * features, 0f);
      }
    }
    score.forward(xs, cells, z);
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        int o = (t * batch + r) * features;
        if (t < this.first[r]) {
          Arrays.fill(alpha, o, o + features, 0f);
          Arrays.fill(out, o, o + features, 0f);
          continue;
        }
        Softmax.of(z, o, features, alpha, o);
        for (int i = 0; i < features; i++) {
          alpha[o + i] *= features;
          out[o + i] = alpha[o + i] * xs[o + i];
        }
      }
    }
  }

  /**
   * Backward over the last {@link #forward}: adds W's and b's gradients.
   *
   * @param dOut the loss's gradient with respect to x~, not modified
   * @param dX receives the gradient with respect to x (overwritten, zeros at padding), or null
   */
  public void backward(float[] dOut, float[] dX) {
    if (batch == 0) {
      throw new IllegalStateException("backward needs a forward pass first");
    }
    int cells = batch * steps;
    int n = cells * features;
    if (dOut.length < n || (dX != null && dX.length < n)) {
      throw new IllegalArgumentException("feature attention backward: " + cells + " steps need " + n + " gradients");
    }
    // z's gradient replaces z, which the backward pass no longer needs.
    float inv = 1f / features;
    for (int k = 0; k < cells; k++) {
      int o = k * features;
      if (k / batch < first[k % batch]) {
        Arrays.fill(z, o, o + features, 0f);
        continue;
      }
      float mean = 0f;
      for (int i = 0; i < features; i++) {
        mean += alpha[o + i] * inv * (dOut[o + i] * xs[o + i]);
      }
      for (int j = 0; j < features; j++) {
        z[o + j] = alpha[o + j] * (dOut[o + j] * xs[o + j] - mean);
      }
    }
    if (dX == null) {
      score.backward(xs, z, cells, null);
      return;
    }
    dxScore = Buffers.grow(dxScore, n);
    score.backward(xs, z, cells, dxScore);
    for (int k = 0; k < n; k++) {
      dX[k] = Math.fma(dOut[k], alpha[k], dxScore[k]);
    }
  }

  /**
   * The weights alpha of the last forward pass, time-major as the inputs: {@code steps * batch * F}
   * values (live; valid until the next forward), zeros at padding. Each real step's weights sum to F.
   */
  public float[] weights() {
    return alpha;
  }

  /**
   * The mean of each variable's weight over the real steps of the last forward pass.
   *
   * @param out receives F values
   * @return the number of real steps averaged over
   */
  public long meanWeights(float[] out) {
    if (out.length < features) {
      throw new IllegalArgumentException("need " + features + " values, got " + out.length);
    }
    Arrays.fill(out, 0, features, 0f);
    long count = 0;
    for (int k = 0; k < batch * steps; k++) {
      if (k / batch < first[k % batch]) {
        continue;
      }
      count++;
      for (int i = 0; i < features; i++) {
        out[i] += alpha[k * features + i];
      }
    }
    if (count > 0) {
      for (int i = 0; i < features; i++) {
        out[i] /= count;
      }
    }
    return count;
  }
}
