package dev.auramoe.internal.vector;

/**
 * Plain-Java reference kernels. Transcendentals come from {@link Approx}, so element-wise kernels
 * are bit-identical to the Vector API ones and deterministic in every JIT tier. Always available; the Vector API kernels must agree with these
 * within the tolerances of the equivalence tests. Loops are written so that the JIT can unroll
 * them, but no SIMD is assumed.
 */
public final class ScalarKernelSupport implements KernelSupport {

  /** Shared stateless instance. */
  public static final ScalarKernelSupport INSTANCE = new ScalarKernelSupport();

  private ScalarKernelSupport() {}

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    // Four partial sums break the dependency chain on the adder.
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 = Math.fma(a[aOff + i], b[bOff + i], s0);
      s1 = Math.fma(a[aOff + i + 1], b[bOff + i + 1], s1);
      s2 = Math.fma(a[aOff + i + 2], b[bOff + i + 2], s2);
      s3 = Math.fma(a[aOff + i + 3], b[bOff + i + 3], s3);
    }
    for (; i < n; i++) {
      s0 = Math.fma(a[aOff + i], b[bOff + i], s0);
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float sumOfSquares(float[] a, int off, int n) {
    return dot(a, off, a, off, n);
  }

  @Override
  public boolean allFinite(float[] a, int off, int n) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(a[off + i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
    }
  }

  @Override
  public void gemv(float[] w, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate) {
    if (!accumulate) {
      java.util.Arrays.fill(y, yOff, yOff + cols, 0f);
    }
    for (int i = 0; i < rows; i++) {
      float xi = x[xOff + i];
      int base = i * cols;
      for (int j = 0; j < cols; j++) {
        y[yOff + j] = Math.fma(xi, w[base + j], y[yOff + j]);
      }
    }
  }

  @Override
  public void gemvBf16(int[] packed, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate) {
    if (!accumulate) {
      java.util.Arrays.fill(y, yOff, yOff + cols, 0f);
    }
    int stride = Bf16.stride(cols);
    int fullBlocks = cols / 32;
    for (int i = 0; i < rows; i++) {
      float xi = x[xOff + i];
      int base = i * stride;
      // Whole blocks: each int holds column 32b + l (low half) and 32b + 16 + l (high half).
      for (int b = 0; b < fullBlocks; b++) {
        int w = base + b * 16;
        int y0 = yOff + b * 32;
        for (int l = 0; l < 16; l++) {
          int word = packed[w + l];
          y[y0 + l] = Math.fma(xi, Float.intBitsToFloat(word << 16), y[y0 + l]);
          y[y0 + 16 + l] = Math.fma(xi, Float.intBitsToFloat(word & 0xffff0000), y[y0 + 16 + l]);
        }
      }
      for (int j = fullBlocks * 32; j < cols; j++) {
        y[yOff + j] = Math.fma(xi, Bf16.get(packed, stride, i, j), y[yOff + j]);
      }
    }
  }

  @Override
  public void gemvBf16Dense(int[] packed, int packedCols, float[] dense, int denseCols, int rows, float[] x, int xOff,
      float[] y, int yOff) {
    gemvBf16(packed, rows, packedCols, x, xOff, y, yOff, false);
    gemv(dense, rows, denseCols, x, xOff, y, yOff + packedCols, false);
  }

  @Override
  public void gemm(float[] x, int tokens, float[] w, int rows, int cols, float[] y) {
    for (int t = 0; t < tokens; t++) {
      gemv(w, rows, cols, x, t * rows, y, t * cols, false);
    }
  }

  @Override
  public void gemm(float[] x, int xOff, int tokens, float[] w, int rows, int cols, float[] y, int yOff,
      boolean accumulate) {
    for (int t = 0; t < tokens; t++) {
      gemv(w, rows, cols, x, xOff + t * rows, y, yOff + t * cols, accumulate);
    }
  }

  @Override
  public void gemvBf16DenseRows(int[] packed, int packedCols, float[] dense, int denseCols, float[] full, int rows,
      float[] x, int xOff, int tokens, float[] y, int yOff) {
    int cols = packedCols + denseCols;
    for (int t = 0; t < tokens; t++) {
      gemvBf16Dense(packed, packedCols, dense, denseCols, rows, x, xOff + t * rows, y, yOff + t * cols);
    }
  }

  @Override
  public void gemvEach(float[] w, int rows, int cols, float[][] xs, float[][] ys, int n, boolean accumulate) {
    for (int r = 0; r < n; r++) {
      gemv(w, rows, cols, xs[r], 0, ys[r], 0, accumulate);
    }
  }

  @Override
  public void tanh(float[] a, int off, int n) {
    for (int i = 0; i < n; i++) {
      a[off + i] = Approx.tanh(a[off + i]);
    }
  }

  @Override
  public void inverseTau(float[] pre, int preOff, float[] invTau, int n, float tauMin, float tauMax) {
    for (int i = 0; i < n; i++) {
      float tau = tauMin + Approx.softplus(pre[preOff + i]);
      // NaN fails both comparisons and falls through to tauMax.
      tau = tau >= tauMin ? (tau <= tauMax ? tau : tauMax) : (tau < tauMin ? tauMin : tauMax);
      invTau[i] = 1f / tau;
    }
  }

  @Override
  public void liquidEuler(float[] h, float[] drive, float[] invTau, float dt, float bound, int n) {
    for (int i = 0; i < n; i++) {
      float d = drive[i];
      float s = d != d ? 0f : Approx.tanh(d);
      float hi = h[i];
      float next = Math.fma(dt, s - hi * invTau[i], hi);
      float lim = Math.max(Math.abs(hi), bound);
      h[i] = Math.min(Math.max(next, -lim), lim);
    }
  }

  @Override
  public void closedForm(float[] h, float[] drive, float[] invTau, float delta, int n) {
    for (int i = 0; i < n; i++) {
      float d = drive[i];
      float s = d != d ? 0f : Approx.tanh(d);
      float g = Approx.exp(-delta * invTau[i]);
      h[i] = g * h[i] + (1f - g) * (s / invTau[i]);
    }
  }

  @Override
  public void liquidTimeConstants(float[] pre, int preOff, float[] invTau, int invOff, float[] slope, int slopeOff,
      int n, float tauMin, float tauMax) {
    for (int i = 0; i < n; i++) {
      float a = pre[preOff + i];
      float e = Approx.exp(-Math.abs(a));
      float tau = tauMin + (Math.max(a, 0f) + Approx.log1pUnit(e));
      invTau[invOff + i] = 1f / Math.min(Math.max(tau, tauMin), tauMax);
      slope[slopeOff + i] = tau > tauMax || tau < tauMin ? 0f : (a >= 0f ? 1f : e) / (1f + e);
    }
  }

  @Override
  public void liquidEulerForward(float[] h, int hOff, float[] drive, int dOff, float[] invTau, int iOff, float dt,
      float bound, int n) {
    for (int i = 0; i < n; i++) {
      float s = Approx.tanh(drive[dOff + i]);
      drive[dOff + i] = s;
      float hi = h[hOff + i];
      float next = Math.fma(dt, s - hi * invTau[iOff + i], hi);
      float lim = Math.max(Math.abs(hi), bound);
      h[hOff + i] = Math.min(Math.max(next, -lim), lim);
    }
  }

  @Override
  public void liquidEulerBackward(float[] g, int gOff, float[] h, int hOff, float[] s, int sOff, float[] invTau,
      int iOff, float dt, float[] dDrive, int ddOff, float[] dDriveSum, int dsOff, float[] gInvTau, int giOff, int n) {
    for (int i = 0; i < n; i++) {
      float gi = g[gOff + i];
      float si = s[sOff + i];
      float gs = gi * dt;
      float dd = gs * (1f - si * si);
      dDrive[ddOff + i] = dd;
      dDriveSum[dsOff + i] += dd;
      gInvTau[giOff + i] = Math.fma(-gs, h[hOff + i], gInvTau[giOff + i]);
      g[gOff + i] = Math.fma(-gs, invTau[iOff + i], gi);
    }
  }

  @Override
  public void lifForward(float[] x, int xOff, float[] v, int vOff, float[] h, int hOff, float[] s, int sOff, int n,
      float invTau, float threshold, boolean hardReset) {
    for (int i = 0; i < n; i++) {
      float vi = v[vOff + i];
      float hi = Math.fma(x[xOff + i] - vi, invTau, vi);
      float si = hi >= threshold ? 1f : 0f;
      h[hOff + i] = hi;
      s[sOff + i] = si;
      v[vOff + i] = hardReset ? (si == 1f ? 0f : hi) : hi - threshold * si;
    }
  }

  @Override
  public void lifBackward(float[] gS, int gsOff, float[] h, int hOff, float[] s, int sOff, float[] gV, int gvOff,
      float[] gX, int gxOff, int n, float invTau, float threshold, boolean hardReset, boolean detachReset,
      int surrogate, float alpha) {
    float decay = 1f - invTau;
    float k = (float) (Math.PI / 2) * alpha;
    float half = alpha * 0.5f;
    for (int i = 0; i < n; i++) {
      float hi = h[hOff + i];
      float u = hi - threshold;
      float sg;
      if (surrogate == SURROGATE_ARCTAN) {
        float q = k * u;
        sg = half / Math.fma(q, q, 1f);
      } else {
        float p = 1f / (1f + Approx.exp(-(alpha * u)));
        sg = (alpha * p) * (1f - p);
      }
      float dv;
      if (hardReset) {
        dv = detachReset ? 1f - s[sOff + i] : (1f - s[sOff + i]) - hi * sg;
      } else {
        dv = detachReset ? 1f : 1f - threshold * sg;
      }
      float gh = Math.fma(gS[gsOff + i], sg, gV[gvOff + i] * dv);
      gX[gxOff + i] = gh * invTau;
      gV[gvOff + i] = gh * decay;
    }
  }

  @Override
  public void softmax(float[] logits, float[] out, int n, float invT) {
    softmax(logits, out, 0, n, invT);
  }

  @Override
  public void softmaxRows(float[] logits, float[] out, int rows, int n, float invT) {
    for (int r = 0; r < rows; r++) {
      softmax(logits, out, r * n, n, invT);
    }
  }

  @Override
  public void selectTopK(float[] probs, int off, float[] bias, int n, int k, float[] scores, int[] out,
      float[] outScores) {
    dev.auramoe.routing.TopK.selectByScore(probs, off, bias, n, k, scores, out, outScores);
  }

  /** {@link #softmax} of the row at {@code off} of logits into the same place of out. */
  private static void softmax(float[] logits, float[] out, int off, int n, float invT) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, logits[off + i]);
    }
    float sum = 0f;
    for (int i = 0; i < n; i++) {
      float e = Approx.exp((logits[off + i] - max) * invT);
      out[off + i] = e;
      sum += e;
    }
    float inv = 1f / sum;
    for (int i = 0; i < n; i++) {
      out[off + i] *= inv;
    }
  }
}
