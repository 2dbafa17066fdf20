package dev.auramoe.seq;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;

/**
 * The forward passes of this module's layers written again, plainly, in double precision: the
 * function whose central finite differences the float layers' analytic gradients are checked
 * against. It is a specification, not a twin: no tape, no workspaces, no fused loops, only the
 * formulas of the layers' Javadoc. Only the step schedule (how many unfolds of which length per
 * input) is computed in float, exactly as the layers and the core compute it, because it is a
 * discrete decision that finite differences never cross.
 */
final class DoubleReference {

  private DoubleReference() {}

  /** Dense: y[r][j] = b[j] + sum_i x[r][i] W[i][j]. */
  static double[] dense(double[] w, double[] b, double[] x, int rows, int in, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < out; j++) {
        double s = b[j];
        for (int i = 0; i < in; i++) {
          s += x[r * in + i] * w[i * out + j];
        }
        y[r * out + j] = s;
      }
    }
    return y;
  }

  /** Mean softmax cross-entropy. */
  static double softmaxCrossEntropy(double[] z, int[] labels, int rows, int classes) {
    double loss = 0;
    for (int r = 0; r < rows; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, z[r * classes + k]);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        sum += Math.exp(z[r * classes + k] - max);
      }
      loss += Math.log(sum) + max - z[r * classes + labels[r]];
    }
    return loss / rows;
  }

  /**
   * The liquid cell (either integrator) over a batch from h = 0; returns every state, time-major [steps][batch][H].
   * Weights input-major as in the layer: u, v are in x H, w is H x H (w[i*H+j]: from h_i to unit j).
   */
  static double[] liquid(CellConfig cfg, int in, double[] u, double[] v, double[] w, double[] b, double[] c,
      double[] x, float[] elapsed, int batch, int steps) {
    return liquid(cfg, in, u, v, w, b, c, x, elapsed, null, batch, steps);
  }

  /** The same over a left-padded batch: before first[r] the state is 0 and nothing is read. */
  static double[] liquid(CellConfig cfg, int in, double[] u, double[] v, double[] w, double[] b, double[] c,
      double[] x, float[] elapsed, int[] first, int batch, int steps) {
    int hd = cfg.hidden();
    double tauMin = cfg.tauMin();
    double tauMax = cfg.tauMax();
    double[] hs = new double[steps * batch * hd];
    for (int r = 0; r < batch; r++) {
      double[] h = new double[hd];
      for (int t = first == null ? 0 : first[r]; t < steps; t++) {
        int k = t * batch + r;
        double[] p = new double[hd];
        double[] tau = new double[hd];
        for (int j = 0; j < hd; j++) {
          double pj = b[j];
          double aj = c[j];
          for (int i = 0; i < in; i++) {
            pj += x[k * in + i] * u[i * hd + j];
            aj += x[k * in + i] * v[i * hd + j];
          }
          p[j] = pj;
          double sp = Math.max(aj, 0) + Math.log1p(Math.exp(-Math.abs(aj)));
          tau[j] = Math.min(Math.max(tauMin + sp, tauMin), tauMax);
        }
        // The schedule, in float as the core's LiquidCell.advance.
        float e = elapsed == null ? Float.NaN : elapsed[k];
        int n;
        float dt;
        float rem = 0f;
        boolean closedForm = cfg.type() == CellType.CLOSED_FORM;
        if (e != e) {
          n = cfg.unfolds();
          dt = cfg.dt();
        } else if (e == 0f) {
          n = 0;
          dt = 0f;
        } else if (closedForm) {
          n = cfg.unfolds();
          dt = e / n;
        } else {
          double s = Math.ceil(e / cfg.tauMin());
          if (s > cfg.maxStepsPerInput()) {
            n = cfg.maxStepsPerInput();
            dt = cfg.tauMin();
            rem = (float) (e - (double) n * cfg.tauMin());
          } else {
            n = Math.max(1, (int) s);
            dt = Math.min(cfg.tauMin(), e / n);
          }
        }
        for (int q = 0; q < n; q++) {
          if (closedForm) {
            closedFormStep(h, p, w, tau, dt, tauMax, hd);
            continue;
          }
          double[] s = drive(h, p, w, hd);
          for (int j = 0; j < hd; j++) {
            double next = h[j] + dt * (s[j] - h[j] / tau[j]);
            double lim = Math.max(Math.abs(h[j]), tauMax);
            h[j] = Math.min(Math.max(next, -lim), lim);
          }
        }
        if (rem > 0f) {
          closedFormStep(h, p, w, tau, rem, tauMax, hd);
        }
        System.arraycopy(h, 0, hs, k * hd, hd);
      }
    }
    return hs;
  }

  /** h' = g h + (1 - g) tau tanh(W h + p), g = exp(-delta / tau), clamped to +-max(|h|, tauMax). */
  private static void closedFormStep(double[] h, double[] p, double[] w, double[] tau, double delta, double tauMax,
      int hd) {
    double[] s = drive(h, p, w, hd);
    for (int j = 0; j < hd; j++) {
      double g = Math.exp(-delta / tau[j]);
      double next = g * h[j] + (1 - g) * tau[j] * s[j];
      double lim = Math.max(Math.abs(h[j]), tauMax);
      h[j] = Math.min(Math.max(next, -lim), lim);
    }
  }

  private static double[] drive(double[] h, double[] p, double[] w, int hd) {
    double[] s = new double[hd];
    for (int j = 0; j < hd; j++) {
      double d = p[j];
      for (int i = 0; i < hd; i++) {
        d += h[i] * w[i * hd + j];
      }
      s[j] = Math.tanh(d);
    }
    return s;
  }

  /**
   * The LSTM over a batch from h = c = 0 with left padding; returns every state [steps][batch][H]
   * (zeros before a sequence's first step). w: in x 4H, u: H x 4H, b: 4H, gate blocks [i | f | g | o].
   */
  static double[] lstm(int in, int hd, double[] w, double[] u, double[] b, double[] x, int[] first, int batch,
      int steps) {
    int g4 = 4 * hd;
    double[] hs = new double[steps * batch * hd];
    for (int r = 0; r < batch; r++) {
      double[] h = new double[hd];
      double[] c = new double[hd];
      for (int t = first[r]; t < steps; t++) {
        int k = t * batch + r;
        double[] a = new double[g4];
        for (int j = 0; j < g4; j++) {
          double s = b[j];
          for (int i = 0; i < in; i++) {
            s += x[k * in + i] * w[i * g4 + j];
          }
          for (int i = 0; i < hd; i++) {
            s += h[i] * u[i * g4 + j];
          }
          a[j] = s;
        }
        for (int j = 0; j < hd; j++) {
          double ig = sigmoid(a[j]);
          double fg = sigmoid(a[hd + j]);
          double gg = Math.tanh(a[2 * hd + j]);
          double og = sigmoid(a[3 * hd + j]);
          c[j] = fg * c[j] + ig * gg;
          h[j] = og * Math.tanh(c[j]);
        }
        System.arraycopy(h, 0, hs, k * hd, hd);
      }
    }
    return hs;
  }

  /**
   * The CfC cell over a batch from h = 0 with left padding; returns every state [steps][batch][H].
   * wx: in x B, wh: H x B, bb: B, wo: B x 4H, bo: 4H with head blocks [ff1 | ff2 | time_a | time_b];
   * t = elapsed / timeScale, NaN giving 1.
   */
  static double[] cfc(int in, int hd, int units, boolean gated, double timeScale, double[] wx, double[] wh,
      double[] bb, double[] wo, double[] bo, double[] x, float[] elapsed, int[] first, int batch, int steps) {
    int g4 = 4 * hd;
    double[] hs = new double[steps * batch * hd];
    for (int r = 0; r < batch; r++) {
      double[] h = new double[hd];
      for (int t = first[r]; t < steps; t++) {
        int k = t * batch + r;
        double e = elapsed == null ? Double.NaN : elapsed[k];
        double time = Double.isNaN(e) ? 1 : e / timeScale;
        double[] z = new double[units];
        for (int j = 0; j < units; j++) {
          double s = bb[j];
          for (int i = 0; i < in; i++) {
            s += x[k * in + i] * wx[i * units + j];
          }
          for (int i = 0; i < hd; i++) {
            s += h[i] * wh[i * units + j];
          }
          z[j] = 1.7159 * Math.tanh(0.666 * s);
        }
        double[] a = new double[g4];
        for (int j = 0; j < g4; j++) {
          double s = bo[j];
          for (int i = 0; i < units; i++) {
            s += z[i] * wo[i * g4 + j];
          }
          a[j] = s;
        }
        for (int j = 0; j < hd; j++) {
          double ff1 = Math.tanh(a[j]);
          double ff2 = Math.tanh(a[hd + j]);
          double ti = sigmoid(a[2 * hd + j] * time + a[3 * hd + j]);
          h[j] = gated ? ff1 * (1 - ti) + ti * ff2 : ff1 + ti * ff2;
        }
        System.arraycopy(h, 0, hs, k * hd, hd);
      }
    }
    return hs;
  }

  static double sigmoid(double a) {
    return 1 / (1 + Math.exp(-a));
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** Whether step t of sequence r is padding. */
  static boolean padded(int[] first, int r, int t) {
    return first != null && t < first[r];
  }

  /** The softmax of z[o .. o + n). */
  static double[] softmax(double[] z, int o, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, z[o + i]);
    }
    double sum = 0;
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp(z[o + i] - max);
      sum += p[i];
    }
    for (int i = 0; i < n; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** Mean squared error over every value. */
  static double meanSquaredError(double[] y, double[] t, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += (y[i] - t[i]) * (y[i] - t[i]);
    }
    return s / n;
  }

  /** Feature attention: x~ = F softmax(W x + b) * x per real step, 0 at padding. */
  static double[] featureAttention(double[] w, double[] b, double[] x, int[] first, int batch, int steps, int f) {
    double[] out = new double[batch * steps * f];
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        if (padded(first, r, t)) {
          continue;
        }
        int o = (t * batch + r) * f;
        double[] xr = java.util.Arrays.copyOfRange(x, o, o + f);
        double[] p = softmax(dense(w, b, xr, 1, f, f), 0, f);
        for (int i = 0; i < f; i++) {
          out[o + i] = f * p[i] * x[o + i];
        }
      }
    }
    return out;
  }

  /** Temporal attention: per sequence, c = sum_t beta_t h_t, beta = softmax over real steps of v . tanh(A h_t + a). */
  static double[] temporalAttention(double[] a, double[] ab, double[] v, double[] hs, int[] first, int batch,
      int steps, int hd, int dim) {
    double[] ctx = new double[batch * hd];
    for (int r = 0; r < batch; r++) {
      int f = first == null ? 0 : first[r];
      double[] score = new double[steps - f];
      for (int t = f; t < steps; t++) {
        int o = (t * batch + r) * hd;
        double[] u = dense(a, ab, java.util.Arrays.copyOfRange(hs, o, o + hd), 1, hd, dim);
        double s = 0;
        for (int j = 0; j < dim; j++) {
          s += v[j] * Math.tanh(u[j]);
        }
        score[t - f] = s;
      }
      double[] beta = softmax(score, 0, steps - f);
      for (int t = f; t < steps; t++) {
        for (int j = 0; j < hd; j++) {
          ctx[r * hd + j] += beta[t - f] * hs[(t * batch + r) * hd + j];
        }
      }
    }
    return ctx;
  }

  /**
   * The gate's weights: p = softmax(W s + b); soft: p; top-k: the k largest p + bias (ties to the
   * lower index) renormalised, 0 elsewhere.
   */
  static double[] gate(double[] w, double[] b, double[] s, int rows, int in, int experts, ExpertGate.Mode mode,
      int k, float[] bias) {
    double[] logits = dense(w, b, s, rows, in, experts);
    double[] out = new double[rows * experts];
    for (int r = 0; r < rows; r++) {
      double[] p = softmax(logits, r * experts, experts);
      if (mode == ExpertGate.Mode.SOFT) {
        System.arraycopy(p, 0, out, r * experts, experts);
        continue;
      }
      boolean[] kept = new boolean[experts];
      double total = 0;
      for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < experts; i++) {
          double score = p[i] + (bias == null ? 0 : bias[i]);
          if (!kept[i] && (best < 0 || score > p[best] + (bias == null ? 0 : bias[best]))) {
            best = i;
          }
        }
        kept[best] = true;
        total += p[best];
      }
      for (int i = 0; i < experts; i++) {
        out[r * experts + i] = kept[i] ? p[i] / total : 0;
      }
    }
    return out;
  }

  /** The liquid cell over a left-padded batch: the padding runs as zero inputs with elapsed 0 (no step). */
  static double[] liquidPadded(CellConfig cfg, int in, double[] u, double[] v, double[] w, double[] b, double[] c,
      double[] x, float[] elapsed, int[] first, int batch, int steps) {
    double[] xp = x.clone();
    float[] ep = new float[batch * steps];
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        int k = t * batch + r;
        ep[k] = elapsed == null ? Float.NaN : elapsed[k];
        if (padded(first, r, t)) {
          ep[k] = 0f;
          java.util.Arrays.fill(xp, k * in, (k + 1) * in, 0);
        }
      }
    }
    return liquid(cfg, in, u, v, w, b, c, xp, ep, batch, steps);
  }

  /**
   * The multi-rate mixture's mean loss over a batch, from the formulas of {@link MultiRateMoE}'s
   * Javadoc; {@code p} holds the parameters in the model's order. Only the experts' time-constant
   * ranges s_k tauMin, s_k tauMax are computed in float, as the model computes them (the schedule is a
   * discrete choice).
   */
  static double multiRate(MultiRateMoE.Config cfg, java.util.List<double[]> p, SequenceBatch batch, float[] bias) {
    int f = cfg.inputDim();
    int rows = batch.size();
    int steps = batch.steps();
    int cells = rows * steps;
    int hd = cfg.cell().hidden();
    int n = cfg.experts();
    int[] first = batch.first();
    int q = 0;
    double[] x = new double[cells * f];
    for (int i = 0; i < x.length; i++) {
      x[i] = batch.x()[i];
    }
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < rows; r++) {
        if (padded(first, r, t)) {
          java.util.Arrays.fill(x, (t * rows + r) * f, (t * rows + r + 1) * f, 0);
        }
      }
    }
    if (cfg.featureAttention()) {
      x = featureAttention(p.get(q), p.get(q + 1), x, first, rows, steps, f);
      q += 2;
    }
    float regular = cfg.cell().unfolds() * cfg.cell().dt();
    int in = f;
    if (cfg.elapsedFeature()) {
      in = f + 1;
      double[] xe = new double[cells * in];
      for (int k = 0; k < cells; k++) {
        System.arraycopy(x, k * f, xe, k * in, f);
        float e = batch.elapsed()[k];
        xe[k * in + f] = padded(first, k % rows, k / rows) ? 0 : e != e ? regular : e;
      }
      x = xe;
    }
    // Expert k's context: [its attention's context, its last state] with attention, else its last state.
    int cw = cfg.temporalAttention() ? 2 * hd : hd;
    double[][] ctx = new double[n][];
    double[] summary = new double[rows * n * cw];
    float[] scales = cfg.scales();
    for (int k = 0; k < n; k++) {
      // Expert k: the time constants' range times its scale, the elapsed times as they are.
      CellConfig ck = new CellConfig(cfg.cell().hidden(), cfg.cell().type(), cfg.cell().tauMin() * scales[k],
          cfg.cell().tauMax() * scales[k], cfg.cell().dt(), cfg.cell().unfolds(), cfg.cell().maxStepsPerInput(),
          cfg.cell().inputScale(), cfg.cell().recurrentScale());
      double[] hs = liquidPadded(ck, in, p.get(q), p.get(q + 1), p.get(q + 2), p.get(q + 3), p.get(q + 4),
          x, batch.elapsed(), first, rows, steps);
      q += 5;
      ctx[k] = new double[rows * cw];
      if (cfg.temporalAttention()) {
        double[] att = temporalAttention(p.get(q), p.get(q + 1), p.get(q + 2), hs, first, rows, steps, hd,
            cfg.attentionDim());
        q += 3;
        for (int r = 0; r < rows; r++) {
          System.arraycopy(att, r * hd, ctx[k], r * cw, hd);
          System.arraycopy(hs, ((steps - 1) * rows + r) * hd, ctx[k], r * cw + hd, hd);
        }
      } else {
        System.arraycopy(hs, (steps - 1) * rows * hd, ctx[k], 0, rows * hd);
      }
      for (int r = 0; r < rows; r++) {
        System.arraycopy(ctx[k], r * cw, summary, (r * n + k) * cw, cw);
      }
    }
    double[] w = gate(p.get(q), p.get(q + 1), summary, rows, n * cw, n, cfg.gate(), cfg.topK(), bias);
    q += 2;
    // The head reads every expert's weighted context: z = b + sum_k W_k (w_k c_k).
    double[] mix = new double[rows * n * cw];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < n; k++) {
        for (int j = 0; j < cw; j++) {
          mix[(r * n + k) * cw + j] = w[r * n + k] * ctx[k][r * cw + j];
        }
      }
    }
    int outs = cfg.task().outputs();
    double[] z = dense(p.get(q), p.get(q + 1), mix, rows, n * cw, outs);
    if (cfg.task().kind() == Task.Kind.CLASSIFICATION) {
      return softmaxCrossEntropy(z, batch.labels(), rows, outs);
    }
    return meanSquaredError(z, toDouble(batch.targets()), rows * outs);
  }
}
