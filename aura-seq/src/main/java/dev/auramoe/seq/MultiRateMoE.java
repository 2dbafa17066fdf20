package dev.auramoe.seq;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The multi-rate mixture of liquid experts (MR-MoE): N liquid cells, each integrating the same
 * sequence at its own time scale, so that fast movements and slow trends are modelled apart; a gate
 * that weighs the experts per sequence; feature attention that suppresses noisy variables; and
 * temporal attention over each expert's states.
 *
 * <pre>
 * x~        = FeatureAttention(x)                         (per step; off: x~ = x)
 * x^        = [x~, e]                                     (with the elapsed-time feature; else x^ = x~)
 * h^k_1..T  = liquid cell k over x^, time constants in [tauMin, tauMax] * s_k
 * c_k       = [TemporalAttention_k(h^k_1..T), h^k_T]       (off: c_k = h^k_T)
 * w         = ExpertGate([c_1, ..., c_N])                 (soft, or top-k with a balancing bias)
 * m         = [w_1 c_1, ..., w_N c_N]
 * outputs   = Head(m) = b + sum_k W_k (w_k c_k)           (softmax cross-entropy, or mean squared error)
 * </pre>
 *
 * <p>Time scales: expert k is the configured cell with the range of its time constants multiplied
 * by s_k &gt;= 1, {@code tau in [tauMin s_k, tauMax s_k]} ({@link #expertCell}); the Euler step dt,
 * the elapsed times and everything else are the same for every expert. A slow expert leaks slowly:
 * its state integrates the drive at the same rate as a fast one's (no smaller state to read) and
 * forgets it over longer times, so fast movements and slow trends are held apart. Cost: the cell
 * takes ceil(e / tauMin) Euler steps for an elapsed time e, so a slower expert (larger tauMin) never
 * takes more steps than the fastest, and on regular data with dt = tauMin every expert takes one
 * step per input; a scale below 1 is refused (tauMin may not fall below dt). The default scales, 1,
 * 4, 16, 64, cover time constants from tauMin to 64 tauMax (0.02 to 128 with the core's defaults: 1
 * to 6,400 regular steps); each expert's band spans tauMax / tauMin (two decades at the defaults)
 * and the next one is offset by a factor of 4, so neighbouring experts overlap.
 *
 * <p>Usage:
 * <pre>{@code
 * MultiRateMoE model = MultiRateMoE.builder(features, Task.classification(3))
 *     .hidden(16).scales(1, 4, 16, 64).topK(2).seed(7).build();
 * Adam adam = new Adam(model.parameters(), Adam.Settings.DEFAULT.withLearningRate(3e-3f));
 * double loss = model.trainStep(batch, adam, 1.0);
 * model.predict(batch, probabilities);
 * model.gateWeights(); model.featureWeights(); model.temporalWeights(k);   // of that batch
 * }</pre>
 * Workspaces grow to the largest batch shape seen; after that neither a training step nor a
 * prediction allocates. Not thread-safe.
 */
public final class MultiRateMoE implements SequenceModel {

  /**
   * The knobs.
   *
   * @param inputDim features per step F, at least 1
   * @param task what the head predicts
   * @param cell each expert's cell configuration (its hidden size H is every expert's)
   * @param scales each expert's time scale s_k, finite and &gt;= 1; their number is the number of
   *     experts N (copied)
   * @param gate soft or top-k
   * @param topK the experts kept per sequence by top-k, in [1, N] (ignored by the soft gate)
   * @param balance top-k's balancing bias ({@link BalanceConfig#OFF}: none)
   * @param featureAttention whether feature attention weighs the inputs
   * @param temporalAttention whether each expert's context is its attention over its states (else
   *     its last state)
   * @param attentionDim D, the temporal attention's score width, at least 1
   * @param elapsedFeature whether the experts get each input's elapsed time as an extra feature
   * @param seed the weights' seed
   */
  public record Config(int inputDim, Task task, CellConfig cell, float[] scales, ExpertGate.Mode gate, int topK,
      BalanceConfig balance, boolean featureAttention, boolean temporalAttention, int attentionDim,
      boolean elapsedFeature, long seed) {

    /** Validates, naming the knob. */
    public Config {
      Objects.requireNonNull(task, "task");
      Objects.requireNonNull(cell, "cell");
      Objects.requireNonNull(gate, "gate");
      Objects.requireNonNull(balance, "balance");
      if (inputDim <= 0) {
        throw new IllegalArgumentException("inputDim must be > 0, got " + inputDim);
      }
      if (scales == null || scales.length == 0) {
        throw new IllegalArgumentException("scales must name at least one expert's time scale");
      }
      scales = scales.clone();
      for (int k = 0; k < scales.length; k++) {
        if (!(scales[k] >= 1f) || !Float.isFinite(scales[k])) {
          throw new IllegalArgumentException("scale " + k + " must be finite and >= 1 (1 is the cell's own time; "
              + "a faster expert is a cell with a smaller tauMin and dt), got " + scales[k]);
        }
      }
      if (gate == ExpertGate.Mode.TOP_K && (topK < 1 || topK > scales.length)) {
        throw new IllegalArgumentException("topK must lie in [1, " + scales.length + "] (the experts), got " + topK);
      }
      if (attentionDim <= 0) {
        throw new IllegalArgumentException("attentionDim must be > 0, got " + attentionDim);
      }
    }

    /** N. */
    public int experts() {
      return scales.length;
    }

    /** The time scales (a copy). */
    @Override
    public float[] scales() {
      return scales.clone();
    }
  }

  /** A builder with the defaults: H 16, scales 1, 4, 16, 64, soft gate, both attentions, seed 0. */
  public static Builder builder(int inputDim, Task task) {
    return new Builder(inputDim, task);
  }

  /** Builds a {@link Config} knob by knob. */
  public static final class Builder {
    private final int inputDim;
    private final Task task;
    private CellConfig cell = CellConfig.DEFAULT.withHidden(16);
    private float[] scales = {1f, 4f, 16f, 64f};
    private ExpertGate.Mode gate = ExpertGate.Mode.SOFT;
    private int topK = 1;
    private BalanceConfig balance = BalanceConfig.DEFAULT;
    private boolean featureAttention = true;
    private boolean temporalAttention = true;
    private int attentionDim;
    private boolean elapsedFeature;
    private long seed;

    private Builder(int inputDim, Task task) {
      this.inputDim = inputDim;
      this.task = task;
    }

    /** Each expert's cell configuration (default: the core's default with H 16). */
    public Builder cell(CellConfig c) {
      this.cell = Objects.requireNonNull(c, "cell");
      return this;
    }

    /** Each expert's hidden size H. */
    public Builder hidden(int h) {
      this.cell = cell.withHidden(h);
      return this;
    }

    /** The time scales, one per expert. */
    public Builder scales(float... s) {
      this.scales = s.clone();
      return this;
    }

    /** n experts at the geometric scales 1, ratio, ratio^2, ... */
    public Builder geometricScales(int n, float ratio) {
      if (n <= 0 || !(ratio >= 1f) || !Float.isFinite(ratio)) {
        throw new IllegalArgumentException("need n > 0 experts and a finite ratio >= 1, got " + n + ", " + ratio);
      }
      float[] s = new float[n];
      for (int k = 0; k < n; k++) {
        s[k] = (float) Math.pow(ratio, k);
      }
      this.scales = s;
      return this;
    }

    /** The single-rate mixture: n experts, all at scale 1. */
    public Builder singleRate(int n) {
      return geometricScales(n, 1f);
    }

    /** The soft gate (default). */
    public Builder softGate() {
      this.gate = ExpertGate.Mode.SOFT;
      return this;
    }

    /** The top-k gate. */
    public Builder topK(int k) {
      this.gate = ExpertGate.Mode.TOP_K;
      this.topK = k;
      return this;
    }

    /** Top-k's balancing (default {@link BalanceConfig#DEFAULT}). */
    public Builder balance(BalanceConfig b) {
      this.balance = b;
      return this;
    }

    public Builder featureAttention(boolean on) {
      this.featureAttention = on;
      return this;
    }

    public Builder temporalAttention(boolean on) {
      this.temporalAttention = on;
      return this;
    }

    /** D (default H). */
    public Builder attentionDim(int d) {
      this.attentionDim = d;
      return this;
    }

    public Builder elapsedFeature(boolean on) {
      this.elapsedFeature = on;
      return this;
    }

    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** The validated configuration. */
    public Config config() {
      return new Config(inputDim, task, cell, scales, gate, topK, balance, featureAttention, temporalAttention,
          attentionDim == 0 ? cell.hidden() : attentionDim, elapsedFeature, seed);
    }

    /** The model. */
    public MultiRateMoE build() {
      return new MultiRateMoE(config());
    }
  }

  private final Config config;
  private final int features;
  private final int expertIn;
  private final int n;
  private final int hd;
  /** Width of an expert's context: its attention's context and its last state, or its last state alone. */
  private final int cw;
  private float[] att = new float[0];
  private float[] dAtt = new float[0];
  private final float[] scale;
  private final FeatureAttention featureAttention;
  private final TrainableLiquidCell[] experts;
  private final TemporalAttention[] attention;
  private final ExpertGate gate;
  private final Head head;
  private final List<Parameter> parameters;
  private long work;

  // Workspaces, grown to the largest batch shape seen.
  private float[] xt = new float[0];
  private float[] xin = new float[0];
  private float[][] hs;
  private float[][] ctx;
  private float[] summary = new float[0];
  private float[] mix = new float[0];
  private float[] dMix = new float[0];
  private float[] dW = new float[0];
  private float[] dSummary = new float[0];
  private float[] dCtx = new float[0];
  private float[] dHs = new float[0];
  private float[] dXin = new float[0];
  private float[] dXk = new float[0];
  private float[] dXt = new float[0];

  /** The model of a validated configuration, its weights drawn from {@code config.seed()}. */
  public MultiRateMoE(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.features = config.inputDim();
    this.expertIn = features + (config.elapsedFeature() ? 1 : 0);
    this.n = config.experts();
    this.hd = config.cell().hidden();
    this.cw = config.temporalAttention() ? 2 * hd : hd;
    this.scale = config.scales();
    Random r = new Random(config.seed());
    List<Parameter> all = new ArrayList<>();
    this.featureAttention = config.featureAttention() ? new FeatureAttention("featureAttention", features, r) : null;
    if (featureAttention != null) {
      all.addAll(featureAttention.parameters());
    }
    this.experts = new TrainableLiquidCell[n];
    this.attention = new TemporalAttention[n];
    for (int k = 0; k < n; k++) {
      experts[k] = new TrainableLiquidCell("expert" + k, expertCell(config.cell(), scale[k]), expertIn, r.nextLong());
      all.addAll(experts[k].parameters());
      if (config.temporalAttention()) {
        attention[k] = new TemporalAttention("expert" + k + ".attention", hd, config.attentionDim(), r);
        all.addAll(attention[k].parameters());
      }
    }
    this.gate = new ExpertGate("gate", n * cw, n, config.gate(), config.topK(), config.balance(), r);
    all.addAll(gate.parameters());
    this.head = new Head("head", n * cw, config.task(), r);
    all.addAll(head.parameters());
    this.parameters = List.copyOf(all);
    this.hs = new float[n][0];
    this.ctx = new float[n][0];
  }

  /**
   * Expert k's cell: the base configuration with its time constants' range multiplied by the
   * expert's time scale, {@code [tauMin s, tauMax s]}; the Euler step dt and every other knob as
   * they are.
   */
  public static CellConfig expertCell(CellConfig base, float scale) {
    return scale == 1f ? base : new CellConfig(base.hidden(), base.type(), base.tauMin() * scale, base.tauMax() * scale,
        base.dt(), base.unfolds(), base.maxStepsPerInput(), base.inputScale(), base.recurrentScale());
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  @Override
  public Task task() {
    return config.task();
  }

  @Override
  public int inputDim() {
    return features;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /** Expert k's cell. */
  public TrainableLiquidCell expert(int k) {
    return experts[k];
  }

  /** The gate. */
  public ExpertGate gate() {
    return gate;
  }

  /** The head. */
  public Head head() {
    return head;
  }

  /** Feature attention, or null when off. */
  public FeatureAttention featureAttention() {
    return featureAttention;
  }

  /** Expert k's temporal attention, or null when off. */
  public TemporalAttention temporalAttention(int k) {
    return attention[k];
  }

  /** The integration steps of every expert in the last forward pass (the cost the time scales set). */
  public long lastWork() {
    return work;
  }

  /** Records the gate's load with its balancer (top-k). */
  @Override
  public void afterStep() {
    gate.recordLoad();
  }

  @Override
  public void predict(SequenceBatch batch, float[] out) {
    forward(batch);
    head.outputs(out);
  }

  @Override
  public double lossAndGradients(SequenceBatch batch) {
    zeroGradients();
    forward(batch);
    double loss = head.loss(batch);
    backward(batch.size(), batch.steps(), batch.first());
    return loss;
  }

  // ---- readouts of the last forward pass (a prediction or a training step) ----

  /** The gate's mixing weights per sequence, {@code batch * N} (live; valid until the next pass). */
  public float[] gateWeights() {
    return gate.weights();
  }

  /**
   * The feature attention's weights per step, {@code steps * batch * F} time-major (live; zeros at
   * padding; each real step's weights sum to F), or null when feature attention is off.
   */
  public float[] featureWeights() {
    return featureAttention == null ? null : featureAttention.weights();
  }

  /**
   * Each feature's mean weight over the real steps of the last pass ({@link FeatureAttention#meanWeights}).
   *
   * @return the real steps averaged over
   * @throws IllegalStateException when feature attention is off
   */
  public long meanFeatureWeights(float[] out) {
    if (featureAttention == null) {
      throw new IllegalStateException("feature attention is off");
    }
    return featureAttention.meanWeights(out);
  }

  /**
   * Expert k's temporal weights per step, {@code steps * batch} time-major (live; zeros at padding),
   * or null when temporal attention is off.
   */
  public float[] temporalWeights(int k) {
    return attention[k] == null ? null : attention[k].weights();
  }

  private void forward(SequenceBatch batch) {
    if (batch.features() != features) {
      throw new IllegalArgumentException("the model reads " + features + " features per step, the batch holds "
          + batch.features());
    }
    int b = batch.size();
    int steps = batch.steps();
    int cells = Math.multiplyExact(b, steps);
    int[] first = batch.first();
    float[] x = batch.x();
    float[] elapsed = batch.elapsed();
    Padding.check(first, b, steps);
    SequenceInputs.checkElapsed("mr-moe", elapsed, first, b, steps);
    grow(b, cells);
    float[] in = x;
    if (featureAttention != null) {
      featureAttention.forward(x, first, b, steps, xt);
      in = xt;
    } else {
      Padding.checkInputs(x, first, b, steps, features);
    }
    if (config.elapsedFeature()) {
      float regular = regularElapsed();
      for (int k = 0; k < cells; k++) {
        System.arraycopy(in, k * features, xin, k * expertIn, features);
        float e = elapsed[k];
        xin[k * expertIn + features] = k / b < first[k % b] ? 0f : e != e ? regular : e;
      }
      in = xin;
    }
    work = 0;
    for (int k = 0; k < n; k++) {
      work += experts[k].forward(in, elapsed, first, b, steps, hs[k]);
      if (attention[k] != null) {
        attention[k].forward(hs[k], first, b, steps, att);
        for (int r = 0; r < b; r++) {
          System.arraycopy(att, r * hd, ctx[k], r * cw, hd);
          System.arraycopy(hs[k], ((steps - 1) * b + r) * hd, ctx[k], r * cw + hd, hd);
        }
      } else {
        System.arraycopy(hs[k], (steps - 1) * b * hd, ctx[k], 0, b * hd);
      }
      for (int r = 0; r < b; r++) {
        System.arraycopy(ctx[k], r * cw, summary, (r * n + k) * cw, cw);
      }
    }
    gate.forward(summary, b);
    float[] w = gate.weights();
    int mw = n * cw;
    for (int r = 0; r < b; r++) {
      for (int k = 0; k < n; k++) {
        float wk = w[r * n + k];
        int co = r * cw;
        int mo = r * mw + k * cw;
        for (int j = 0; j < cw; j++) {
          mix[mo + j] = wk * ctx[k][co + j];
        }
      }
    }
    head.forward(mix, b);
  }

  private void backward(int b, int steps, int[] first) {
    int cells = b * steps;
    head.backward(mix, dMix);
    float[] w = gate.weights();
    for (int r = 0; r < b; r++) {
      for (int k = 0; k < n; k++) {
        float d = 0f;
        int co = r * cw;
        int mo = r * n * cw + k * cw;
        for (int j = 0; j < cw; j++) {
          d = Math.fma(dMix[mo + j], ctx[k][co + j], d);
        }
        dW[r * n + k] = d;
      }
    }
    gate.backward(summary, dW, dSummary);
    boolean needInputs = featureAttention != null;
    if (needInputs) {
      Arrays.fill(dXin, 0, cells * expertIn, 0f);
    }
    for (int k = 0; k < n; k++) {
      for (int r = 0; r < b; r++) {
        float wk = w[r * n + k];
        int co = r * cw;
        int so = (r * n + k) * cw;
        int mo = r * n * cw + k * cw;
        for (int j = 0; j < cw; j++) {
          dCtx[co + j] = Math.fma(wk, dMix[mo + j], dSummary[so + j]);
        }
      }
      if (attention[k] != null) {
        for (int r = 0; r < b; r++) {
          System.arraycopy(dCtx, r * cw, dAtt, r * hd, hd);
        }
        attention[k].backward(hs[k], dAtt, dHs);
        for (int r = 0; r < b; r++) {
          int lo = ((steps - 1) * b + r) * hd;
          for (int j = 0; j < hd; j++) {
            dHs[lo + j] += dCtx[r * cw + hd + j];
          }
        }
      } else {
        Arrays.fill(dHs, 0, cells * hd, 0f);
        System.arraycopy(dCtx, 0, dHs, (steps - 1) * b * hd, b * hd);
      }
      experts[k].backward(dHs, needInputs ? dXk : null);
      if (needInputs) {
        for (int i = 0; i < cells * expertIn; i++) {
          dXin[i] += dXk[i];
        }
      }
    }
    if (needInputs) {
      float[] dIn = dXin;
      if (config.elapsedFeature()) {
        for (int c = 0; c < cells; c++) {
          System.arraycopy(dXin, c * expertIn, dXt, c * features, features);
        }
        dIn = dXt;
      }
      featureAttention.backward(dIn, null);
    }
  }

  /** The elapsed time of a regular step (e = NaN): {@code unfolds * dt} of the cell's configuration. */
  private float regularElapsed() {
    return config.cell().unfolds() * config.cell().dt();
  }

  private void grow(int b, int cells) {
    int nf = Math.multiplyExact(cells, features);
    int ni = Math.multiplyExact(cells, expertIn);
    int nh = Math.multiplyExact(cells, hd);
    if (featureAttention != null) {
      xt = Buffers.grow(xt, nf);
      dXin = Buffers.grow(dXin, ni);
      dXk = Buffers.grow(dXk, ni);
      dXt = Buffers.grow(dXt, nf);
    }
    if (config.elapsedFeature()) {
      xin = Buffers.grow(xin, ni);
    }
    for (int k = 0; k < n; k++) {
      hs[k] = Buffers.grow(hs[k], nh);
      ctx[k] = Buffers.grow(ctx[k], b * cw);
    }
    att = Buffers.grow(att, b * hd);
    dAtt = Buffers.grow(dAtt, b * hd);
    summary = Buffers.grow(summary, b * n * cw);
    dSummary = Buffers.grow(dSummary, b * n * cw);
    mix = Buffers.grow(mix, b * n * cw);
    dMix = Buffers.grow(dMix, b * n * cw);
    dCtx = Buffers.grow(dCtx, b * cw);
    dW = Buffers.grow(dW, b * n);
    dHs = Buffers.grow(dHs, nh);
  }
}
