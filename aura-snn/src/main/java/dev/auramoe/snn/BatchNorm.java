package dev.auramoe.snn;

import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.Trainable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Batch normalisation over channels (Ioffe and Szegedy, "Batch normalization", ICML 2015), with the
 * channel last: a tensor is m vectors of C channels, value c of vector i at {@code i * C + c}. An
 * image batch in {@link Conv2d}'s channels-last layout, rows x H x W x C, is m = rows H W vectors; a
 * token batch, rows x C (a {@code Dense} layer's output), is m = rows vectors. The statistics of a
 * channel are over all m of them.
 *
 * <p>Training mode, with the batch's statistics (biased variance) and eps = 1e-5:
 *
 * <pre>
 * mu_c = (1/m) sum_i x[i][c]        var_c = (1/m) sum_i (x[i][c] - mu_c)^2       s_c = 1 / sqrt(var_c + eps)
 * xhat[i][c] = (x[i][c] - mu_c) s_c                y[i][c] = gamma_c xhat[i][c] + beta_c
 * running_mean_c = (1 - 0.1) running_mean_c + 0.1 mu_c                   (by commitRunningEstimates,
 * running_var_c  = (1 - 0.1) running_var_c  + 0.1 var_c m / (m - 1)       after the optimiser's step;
 *                                                                          unbiased, as PyTorch)
 *
 * dbeta_c  += sum_i dy[i][c]        dgamma_c += sum_i dy[i][c] xhat[i][c]
 * dx[i][c]  = gamma_c s_c (dy[i][c] - (1/m) sum_j dy[j][c] - xhat[i][c] (1/m) sum_j dy[j][c] xhat[j][c])
 * </pre>
 *
 * <p>The last line is the full gradient: mu and var depend on every input. Evaluation mode uses the
 * running estimates instead, {@code s_c = 1 / sqrt(running_var_c + eps)} and
 * {@code xhat = (x - running_mean_c) s_c}, which are constants, so {@code dx = gamma_c s_c dy}; the
 * running estimates start at mean 0 and variance 1 and do not move. The backward pass follows the
 * mode of the last forward pass.
 *
 * <p>{@link #foldInto} folds evaluation mode into the weights and bias of the layer before it, so an
 * inference network (and its operation count) has no normalisation left.
 *
 * <p>gamma (ones) and beta (zeros) are {@link Parameter}s of one dimension, so an optimiser does not
 * decay them. The statistics are summed in double. Neither pass allocates. Not thread-safe.
 */
public final class BatchNorm implements Trainable {

  /** Added to the variance, as PyTorch's default. */
  public static final float EPS = 1e-5f;
  /** The running estimates' weight of the new batch, as PyTorch's default. */
  public static final float MOMENTUM = 0.1f;

  private final String name;
  private final int channels;
  private final Parameter gamma;
  private final Parameter beta;
  private final List<Parameter> parameters;
  private final float[] runningMean;
  private final float[] runningVar;
  /** The last training pass's unbiased variances, waiting for {@link #commitRunningEstimates()}. */
  private final float[] pendingVar;
  /** Whether the last pass was a training pass whose statistics are not yet committed. */
  private boolean pending;
  private boolean training = true;

  // The tape of the last forward pass: its mode, m, and per channel the mean and 1 / sqrt(var + eps) used.
  private int m = -1;
  private boolean trainedPass;
  private final float[] mean;
  private final float[] invStd;
  // Workspaces.
  private final double[] sum;
  private final double[] sum2;
  private final float[] scale;
  private final float[] shift;
  private final float[] slope;

  /**
   * Normalisation of {@code channels} channels, in training mode.
   *
   * @param name prefix of the parameters' names ({@code name.gamma}, {@code name.beta})
   */
  public BatchNorm(String name, int channels) {
    this.name = Objects.requireNonNull(name, "name");
    if (channels <= 0) {
      throw new IllegalArgumentException("BatchNorm " + name + " needs channels > 0, got " + channels);
    }
    this.channels = channels;
    this.gamma = new Parameter(name + ".gamma", channels);
    this.beta = new Parameter(name + ".beta", channels);
    Arrays.fill(gamma.values(), 1f);
    this.parameters = List.of(gamma, beta);
    this.runningMean = new float[channels];
    this.runningVar = new float[channels];
    this.pendingVar = new float[channels];
    Arrays.fill(runningVar, 1f);
    this.mean = new float[channels];
    this.invStd = new float[channels];
    this.sum = new double[channels];
    this.sum2 = new double[channels];
    this.scale = new float[channels];
    this.shift = new float[channels];
    this.slope = new float[channels];
  }

  /** C. */
  public int channels() {
    return channels;
  }

  /** The scales gamma. */
  public Parameter gamma() {
    return gamma;
  }

  /** The shifts beta. */
  public Parameter beta() {
    return beta;
  }

  /** The running mean (live array: a saved model restores it here). */
  public float[] runningMean() {
    return runningMean;
  }

  /** The running variance, unbiased (live array: a saved model restores it here). */
  public float[] runningVariance() {
    return runningVar;
  }

  /** Whether the forward pass normalises with the batch's statistics (true) or the running ones. */
  public boolean training() {
    return training;
  }

  /**
   * Moves the running estimates towards the last training pass's batch statistics (momentum 0.1,
   * the unbiased variance), once: the model calls it after its optimiser's step has been taken, so
   * that a step refused for a non-finite gradient leaves the running estimates as they were. Does
   * nothing after an evaluation pass or a second time.
   */
  public void commitRunningEstimates() {
    if (!pending) {
      return;
    }
    for (int j = 0; j < channels; j++) {
      runningMean[j] = (1 - MOMENTUM) * runningMean[j] + MOMENTUM * mean[j];
      runningVar[j] = (1 - MOMENTUM) * runningVar[j] + MOMENTUM * pendingVar[j];
    }
    pending = false;
  }

  /** Selects training mode (true) or evaluation mode (false). */
  public void setTraining(boolean training) {
    this.training = training;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * The forward pass; in training mode it also updates the running estimates.
   *
   * @param x m vectors of C channels, not modified
   * @param m the number of vectors (rows, times H W for images); at least 2 in training mode
   * @param y receives m vectors of C channels; may be x itself when the backward pass is not needed
   */
  public void forward(float[] x, int m, float[] y) {
    check("x", x, m);
    check("y", y, m);
    if (training && m < 2) {
      throw new IllegalArgumentException("BatchNorm " + name + " needs at least 2 values per channel in training"
          + " mode, got " + m);
    }
    int c = channels;
    if (training) {
      Arrays.fill(sum, 0);
      for (int i = 0, o = 0; i < m; i++, o += c) {
        for (int j = 0; j < c; j++) {
          sum[j] += x[o + j];
        }
      }
      for (int j = 0; j < c; j++) {
        mean[j] = (float) (sum[j] / m);
      }
      // Two passes: the squares of the deviations, not the difference of two large sums.
      Arrays.fill(sum2, 0);
      for (int i = 0, o = 0; i < m; i++, o += c) {
        for (int j = 0; j < c; j++) {
          double d = x[o + j] - mean[j];
          sum2[j] += d * d;
        }
      }
      for (int j = 0; j < c; j++) {
        double var = sum2[j] / m;
        invStd[j] = (float) (1 / Math.sqrt(var + EPS));
        pendingVar[j] = (float) (sum2[j] / (m - 1));
      }
    } else {
      for (int j = 0; j < c; j++) {
        mean[j] = runningMean[j];
        invStd[j] = (float) (1 / Math.sqrt(runningVar[j] + (double) EPS));
      }
    }
    this.m = m;
    this.trainedPass = training;
    this.pending = training;
    float[] g = gamma.values();
    float[] bt = beta.values();
    for (int j = 0; j < c; j++) {
      scale[j] = g[j] * invStd[j];
      shift[j] = bt[j] - mean[j] * scale[j];
    }
    for (int i = 0, o = 0; i < m; i++, o += c) {
      for (int j = 0; j < c; j++) {
        y[o + j] = Math.fma(x[o + j], scale[j], shift[j]);
      }
    }
  }

  /**
   * The backward pass of the last forward pass, in its mode: accumulates dgamma and dbeta, and writes dx.
   *
   * @param x the forward pass's inputs, not modified
   * @param dy m vectors of gradients with respect to y, not modified unless it is dx
   * @param dx receives m vectors of gradients with respect to x (overwritten); may be dy itself
   */
  public void backward(float[] x, float[] dy, float[] dx) {
    if (m < 0) {
      throw new IllegalStateException("BatchNorm " + name + " backward before any forward pass");
    }
    check("x", x, m);
    check("dy", dy, m);
    check("dx", dx, m);
    int c = channels;
    Arrays.fill(sum, 0);
    Arrays.fill(sum2, 0);
    for (int i = 0, o = 0; i < m; i++, o += c) {
      for (int j = 0; j < c; j++) {
        double d = dy[o + j];
        sum[j] += d;
        sum2[j] += d * ((x[o + j] - mean[j]) * invStd[j]);
      }
    }
    float[] gg = gamma.gradient();
    float[] gbt = beta.gradient();
    float[] g = gamma.values();
    for (int j = 0; j < c; j++) {
      gbt[j] += (float) sum[j];
      gg[j] += (float) sum2[j];
      scale[j] = g[j] * invStd[j];
    }
    if (!trainedPass) {
      for (int i = 0, o = 0; i < m; i++, o += c) {
        for (int j = 0; j < c; j++) {
          dx[o + j] = dy[o + j] * scale[j];
        }
      }
      return;
    }
    for (int j = 0; j < c; j++) {
      shift[j] = (float) (sum[j] / m);
      slope[j] = (float) (sum2[j] / m) * invStd[j];
    }
    // dx = gamma s (dy - mean(dy) - xhat mean(dy xhat)), with xhat mean(dy xhat) = (x - mu) slope.
    for (int i = 0, o = 0; i < m; i++, o += c) {
      for (int j = 0; j < c; j++) {
        dx[o + j] = scale[j] * (dy[o + j] - shift[j] - (x[o + j] - mean[j]) * slope[j]);
      }
    }
  }

  /**
   * Folds evaluation mode into the weights and bias of the layer before it, in place: with
   * {@code s_c = gamma_c / sqrt(running_var_c + eps)},
   *
   * <pre>
   * W'[i][c] = W[i][c] s_c          b'[c] = (b[c] - running_mean_c) s_c + beta_c
   * </pre>
   *
   * so the layer alone computes what the layer and this normalisation computed in evaluation mode;
   * the network then drops this normalisation. The weights are input-major with C columns: a
   * {@code Dense}'s {@code in x C} or a {@link Conv2d}'s {@code [k, k, Cin, C]}. This normalisation
   * is not changed.
   *
   * @param weights the preceding layer's weights, last dimension C
   * @param bias its biases, C
   */
  public void foldInto(Parameter weights, Parameter bias) {
    int[] ws = weights.shape();
    if (ws[ws.length - 1] != channels || bias.size() != channels) {
      throw new IllegalArgumentException("BatchNorm " + name + " of " + channels + " channels cannot fold into "
          + weights + " and " + bias + ": both need " + channels + " outputs (the weights' last dimension)");
    }
    float[] wv = weights.values();
    float[] bv = bias.values();
    float[] g = gamma.values();
    float[] bt = beta.values();
    for (int j = 0; j < channels; j++) {
      scale[j] = (float) (g[j] / Math.sqrt(runningVar[j] + (double) EPS));
    }
    for (int i = 0; i < wv.length; i += channels) {
      for (int j = 0; j < channels; j++) {
        wv[i + j] *= scale[j];
      }
    }
    for (int j = 0; j < channels; j++) {
      bv[j] = (bv[j] - runningMean[j]) * scale[j] + bt[j];
    }
  }

  private void check(String what, float[] a, int m) {
    if (m < 0) {
      throw new IllegalArgumentException("BatchNorm " + name + ": the number of vectors must be >= 0, got " + m);
    }
    long need = (long) m * channels;
    if (need > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("BatchNorm " + name + ": " + m + " vectors of " + channels
          + " channels are too many");
    }
    if (a.length < need) {
      throw new IllegalArgumentException("BatchNorm " + name + ": " + what + " needs " + need + " values (" + m
          + " vectors of " + channels + " channels), has " + a.length);
    }
  }
}
