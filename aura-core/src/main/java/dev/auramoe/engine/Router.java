package dev.auramoe.engine;

import dev.auramoe.RecentErrors;
import dev.auramoe.cell.GatingCell;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyMeter;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Random;

/**
 * The router: its readout R of the cell state, its logit bias r, and, when it reads the input, its
 * readout Q of x, whose columns live in the gating cell's extra projection columns (so that x is
 * read once per input). It computes the logits {@code R h + Q x + r - beta rec / (1 + rec)}, where
 * {@code rec} is the stream's recent errors when the router reads them ({@link RecentErrors}), and learns R, Q
 * and r with a local delta rule toward the experts that predicted best; no gradient flows through
 * the cell or the experts. Not thread-safe: the model calls it under its lock.
 */
public final class Router {

  /** Logits are clamped to +-LOGIT_CAP: huge finite inputs can overflow a logit. */
  private static final float LOGIT_CAP = 1e4f;

  private final GatingCell cell;
  private final int in;
  private final int hidden;
  private final int experts;
  private final boolean usesInput;
  /** beta, the weight of a stream's recent errors in the logits (0: not read). */
  private final float recentWeight;
  /** Where the extra columns (the products {@code Q x}) start in a projection row of the cell. */
  private final int extraOffset;
  /** Readout of the cell state, input-major: hidden x experts. */
  private final float[] readout;
  /** Logit bias, learned. */
  private final float[] bias;

  Router(GatingCell cell, int experts, boolean usesInput, RecentErrors recent) {
    this.cell = cell;
    this.in = cell.inputDim();
    this.hidden = cell.hidden();
    this.experts = experts;
    this.usesInput = usesInput;
    this.recentWeight = recent.weight();
    this.extraOffset = cell.width() - cell.extraColumns();
    this.readout = new float[hidden * experts];
    this.bias = new float[experts];
  }

  /**
   * The seeded initial weights: R ~ N(0, 0.25 / H), then (with {@code inputColumns}) Q ~ N(0, 0.01 /
   * d) drawn input-major into the cell's extra columns; the bias starts at 0.
   */
  void initialise(Random r, boolean inputColumns) {
    float rs = (float) (0.5 / Math.sqrt(hidden));
    for (int i = 0; i < readout.length; i++) {
      readout[i] = (float) r.nextGaussian() * rs;
    }
    if (inputColumns) {
      float qs = (float) (0.1 / Math.sqrt(in));
      float[] q = new float[in * experts];
      for (int i = 0; i < q.length; i++) {
        q[i] = (float) r.nextGaussian() * qs;
      }
      float[] column = new float[in];
      for (int e = 0; e < experts; e++) {
        for (int i = 0; i < in; i++) {
          column[i] = q[i * experts + e];
        }
        cell.setExtraColumn(e, column);
      }
    }
  }

  /** The router's own parameters: the readout of the cell state and the bias (its readout of x is the cell's). */
  public long parameterCount() {
    return (long) readout.length + bias.length;
  }

  /** Readout of the cell state, input-major (hidden x experts): the live array. */
  public float[] readout() {
    return readout;
  }

  /** Logit bias per expert: the live array. */
  public float[] bias() {
    return bias;
  }

  /**
   * {@code logits = R h + Q x + r - beta rec / (1 + rec)}, each clamped to +-1e4 (NaN to 0) so that the
   * softmax stays defined. {@code Q x} is read from the extra columns of the input's projection row at
   * {@code p[pOff..)}; {@code rec} is the stream's recent errors (empty when the router reads none).
   */
  void logits(KernelSupport k, float[] p, int pOff, float[] h, float[] recent, float[] logits, EnergyMeter meter) {
    logits(k, p, pOff, h, 0, recent, logits, meter);
  }

  /** {@link #logits(KernelSupport, float[], int, float[], float[], float[], EnergyMeter)} with h from {@code hOff}. */
  void logits(KernelSupport k, float[] p, int pOff, float[] h, int hOff, float[] recent, float[] logits,
      EnergyMeter meter) {
    if (usesInput) {
      System.arraycopy(p, pOff + extraOffset, logits, 0, experts);
      meter.add(Component.ROUTER, (long) in * experts);
    } else {
      java.util.Arrays.fill(logits, 0f);
    }
    k.gemv(readout, hidden, experts, h, hOff, logits, 0, true);
    meter.add(Component.ROUTER, (long) hidden * experts);
    if (recent.length > 0) {
      for (int e = 0; e < experts; e++) {
        float r = recent[e];
        logits[e] -= recentWeight * (r / (1f + r));
      }
      meter.add(Component.ROUTER, experts);
    }
    for (int e = 0; e < experts; e++) {
      float l = logits[e] + bias[e];
      logits[e] = l != l ? 0f : Math.max(-LOGIT_CAP, Math.min(LOGIT_CAP, l));
    }
  }

  /**
   * The local update: a delta rule on the logits of the chosen experts toward the responsibility
   * target {@code massChosen * resp_j}, normalised by |z|^2 where z is the router's features (h from
   * {@code hOff}, and x when the router reads it).
   *
   * @return the MACs spent
   */
  long learn(KernelSupport k, float rate, float[] h, int hOff, float[] x, int[] chosen, int kk, float massChosen,
      float[] resp, float[] probs) {
    float norm = 1f + k.sumOfSquares(h, hOff, hidden);
    long macs = hidden;
    if (usesInput) {
      norm += k.sumOfSquares(x, 0, in);
      macs += in;
    }
    for (int j = 0; j < kk; j++) {
      int e = chosen[j];
      float delta = massChosen * resp[j] - probs[e];
      float step = rate * delta / norm;
      if (step == 0f || !Float.isFinite(step)) {
        continue;
      }
      macs += nudge(e, step, h, hOff, x);
    }
    return macs;
  }

  /**
   * The same delta rule toward a caller's target, for every expert at once: expert e's readout, input
   * column and bias move by {@code rate * delta[e] * z / (1 + |z|^2)}, z the router's features (h, and x
   * when the router reads it), so that its logit of these features moves by {@code rate * delta[e]}.
   * The whole change is scaled down, when needed, so that its Euclidean norm over the router's
   * parameters is at most {@code maxChange}.
   *
   * @return the norm of the change made
   */
  public double teach(KernelSupport k, float rate, float[] h, float[] x, float[] delta, double maxChange) {
    float norm = 1f + k.sumOfSquares(h, 0, hidden);
    if (usesInput) {
      norm += k.sumOfSquares(x, 0, in);
    }
    if (!Float.isFinite(norm)) {
      return 0;  // features too large for |z|^2 in float: every step rounds to 0, as in learn
    }
    double squares = 0;
    for (int e = 0; e < experts; e++) {
      double step = (double) rate * delta[e] / norm;
      squares += step * step;
    }
    double change = Math.sqrt(squares * norm);
    float scale = change > maxChange ? (float) (maxChange / change) : 1f;
    for (int e = 0; e < experts; e++) {
      float step = scale * rate * delta[e] / norm;
      if (step != 0f && Float.isFinite(step)) {
        nudge(e, step, h, 0, x);
      }
    }
    return Math.min(change, maxChange);
  }

  /** Moves expert e's logit of features (h, x) by {@code step * |z|^2}: its readout, bias and input column. */
  private long nudge(int e, float step, float[] h, int hOff, float[] x) {
    for (int i = 0; i < hidden; i++) {
      readout[i * experts + e] += step * h[hOff + i];
    }
    bias[e] += step;
    if (usesInput) {
      cell.addToExtraColumn(e, step, x);
      return hidden + 1 + in;
    }
    return hidden + 1;
  }

  /** The length of the flat layout of {@link #copyParameters}. */
  public int flatSize() {
    return readout.length + (usesInput ? in * experts : 0) + experts;
  }

  /**
   * Every parameter the router learns, flat: R (hidden x experts, input-major), then Q (input x
   * experts, input-major) when the router reads x, then the bias r.
   */
  public void copyParameters(float[] out) {
    System.arraycopy(readout, 0, out, 0, readout.length);
    int at = readout.length;
    if (usesInput) {
      float[] column = new float[in];
      for (int e = 0; e < experts; e++) {
        cell.extraColumn(e, column);
        for (int i = 0; i < in; i++) {
          out[at + i * experts + e] = column[i];
        }
      }
      at += in * experts;
    }
    System.arraycopy(bias, 0, out, at, experts);
  }

  /** Sets every learned parameter from the layout of {@link #copyParameters} (checked by the caller). */
  public void setParameters(float[] p) {
    System.arraycopy(p, 0, readout, 0, readout.length);
    int at = readout.length;
    if (usesInput) {
      float[] column = new float[in];
      for (int e = 0; e < experts; e++) {
        for (int i = 0; i < in; i++) {
          column[i] = p[at + i * experts + e];
        }
        cell.setExtraColumn(e, column);
      }
      at += in * experts;
    }
    System.arraycopy(p, at, bias, 0, experts);
  }

  /** Zeroes expert e's readout, bias and input column: the router neither favours nor avoids it. */
  void reset(int e) {
    for (int i = 0; i < hidden; i++) {
      readout[i * experts + e] = 0f;
    }
    bias[e] = 0f;
    if (usesInput) {
      cell.setExtraColumn(e, new float[in]);
    }
  }
}
