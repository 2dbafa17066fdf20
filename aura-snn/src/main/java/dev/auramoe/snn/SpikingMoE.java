package dev.auramoe.snn;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.seq.Buffers;
import dev.auramoe.seq.Head;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.SequenceModel;
import dev.auramoe.seq.Task;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * SpikingMoE: a spike-driven Transformer for images whose MLP block is a mixture of spiking
 * experts chosen token by token by a router that reads binary spikes and only accumulates; and,
 * with {@link Config#spiking()} false, its dense twin (the same architecture with real-valued ReLU
 * activations, one time step and a softmax-weighted mixture).
 *
 * <p>An image (C x H x W, given as one step of C H W features, channels first) flows as follows;
 * tensors are channels-last, time-major ({@code [T][B][...]}):
 *
 * <pre>
 * encoder (direct current)   a1 = BN(conv3x3(x))                        once per image: multiply-accumulates
 *                            S1 = LIF_t(a1) for t &lt; T                   the same current at every step
 *   or (rate coding)         S1 = LIF_t(BN(conv3x3(s_t)))               s_t Bernoulli spikes of x: accumulates
 * patch embedding            U0 = maxpool2(BN(conv3x3(maxpool2(S1))))    N = (H/4)(W/4) tokens of D channels
 * attention block            S = LIF(U0)
 *                            Q, K, V = LIF(BN(S W_q)), LIF(BN(S W_k)), LIF(BN(S W_v))
 *                            U1 = U0 + BN(SDSA(Q, K, V) W_o)             {@link SpikeDrivenAttention}
 * expert block               U2 = U1 + MoE(LIF(U1))                      {@link MoeLayer}, SPIKE_DRIVEN
 * head                       z = b + mean_t(LIF(U2)) W_c                 the tokens' spike rates, flattened
 * </pre>
 *
 * The membrane stream U carries the residual connections (the spike-driven Transformer's membrane
 * shortcut): every projection reads spikes, so every multiplication past the encoder is an
 * accumulate ({@link Encoding}: with rate coding, the first convolution's too). The loss is the softmax cross-entropy of z (aura-seq's {@link Head}).
 *
 * <p>The dense twin replaces every LIF by ReLU, runs T = 1, and mixes its experts by the gate's
 * weights ({@link MoeLayer.Combination#WEIGHTED}); every product there is a multiply-accumulate.
 *
 * <p>{@link #predict} counts the operations of an inference pass (batch normalisation folded) and
 * keeps running totals: {@link #operations()}, {@link #routerOperations()}, per-layer firing
 * rates ({@link #firingRates()}) and the tokens each expert received per class
 * ({@link #expertUsage()}). Training runs batch normalisation on the batch's statistics; prediction on
 * the running estimates. Not thread-safe.
 */
public final class SpikingMoE implements SequenceModel {

  /**
   * The architecture.
   *
   * @param channels C of the input images
   * @param height H, at least 4 (two 2x2 poolings)
   * @param width W, at least 4
   * @param classes at least 2
   * @param steps T, the time steps of the spiking network, in [1, 64] (1 for the dense twin)
   * @param stemChannels channels of the first convolution
   * @param dim D, the tokens' channels
   * @param experts E, at least 2
   * @param topK experts per token, in [1, E]
   * @param expertHidden each expert's hidden width
   * @param neurons every spiking neuron's settings but the attention mask's
   * @param balance the router's balancer
   * @param spiking false for the dense twin
   * @param seed the weights' seed
   * @param encoding how the spiking model presents an image to its first convolution over the T steps
   */
  public record Config(int channels, int height, int width, int classes, int steps, int stemChannels, int dim,
      int experts, int topK, int expertHidden, LifConfig neurons, BalanceConfig balance, boolean spiking,
      long seed, Encoding encoding) {

    /** The same with direct-current encoding (the default). */
    public Config(int channels, int height, int width, int classes, int steps, int stemChannels, int dim,
        int experts, int topK, int expertHidden, LifConfig neurons, BalanceConfig balance, boolean spiking,
        long seed) {
      this(channels, height, width, classes, steps, stemChannels, dim, experts, topK, expertHidden, neurons, balance,
          spiking, seed, Encoding.DIRECT);
    }

    /** Validates the fields: one place for each range. */
    public Config {
      if (channels <= 0 || height < 4 || width < 4) {
        throw new IllegalArgumentException("images need channels > 0 and sides >= 4, got " + channels + " x " + height
            + " x " + width);
      }
      if ((long) channels * height * width > 1 << 24) {
        throw new IllegalArgumentException("images of " + channels + " x " + height + " x " + width + " are too large");
      }
      if (classes < 2) {
        throw new IllegalArgumentException("need at least 2 classes, got " + classes);
      }
      if (steps < 1 || steps > 64) {
        throw new IllegalArgumentException("time steps must be in [1, 64], got " + steps);
      }
      if (!spiking && steps != 1) {
        throw new IllegalArgumentException("the dense twin runs one time step, got " + steps);
      }
      if (stemChannels <= 0 || dim <= 0 || expertHidden <= 0 || stemChannels > 4096 || dim > 4096
          || expertHidden > 16384) {
        throw new IllegalArgumentException("widths must be in (0, 4096] (expert hidden (0, 16384]), got stem "
            + stemChannels + ", dim " + dim + ", expert hidden " + expertHidden);
      }
      if (experts < 2 || experts > 1024) {
        throw new IllegalArgumentException("experts must be in [2, 1024], got " + experts);
      }
      if (topK < 1 || topK > experts) {
        throw new IllegalArgumentException("top-k must be in [1, " + experts + "], got " + topK);
      }
      Objects.requireNonNull(neurons, "neurons");
      Objects.requireNonNull(balance, "balance");
      Objects.requireNonNull(encoding, "encoding");
      if (!spiking && encoding != Encoding.DIRECT) {
        throw new IllegalArgumentException("the dense twin reads pixels as they are (direct encoding), got "
            + encoding);
      }
    }

    /** The defaults for images of this shape: T 4, stem 16, D 64, 4 experts, top-2, hidden 128. */
    public static Config defaults(int channels, int height, int width, int classes) {
      return new Config(channels, height, width, classes, 4, 16, 64, 4, 2, 128, LifConfig.DEFAULT,
          BalanceConfig.DEFAULT, true, 1);
    }

    /** The dense twin of this architecture: the same widths, ReLU, one step. */
    public Config twin() {
      return new Config(channels, height, width, classes, 1, stemChannels, dim, experts, topK, expertHidden, neurons,
          balance, false, seed, Encoding.DIRECT);
    }

    /** The same with T time steps. */
    public Config withSteps(int t) {
      return new Config(channels, height, width, classes, t, stemChannels, dim, experts, topK, expertHidden, neurons,
          balance, spiking, seed, encoding);
    }

    /** The same with another seed. */
    public Config withSeed(long s) {
      return new Config(channels, height, width, classes, steps, stemChannels, dim, experts, topK, expertHidden,
          neurons, balance, spiking, s, encoding);
    }

    /** The same with another encoding. */
    public Config withEncoding(Encoding e) {
      return new Config(channels, height, width, classes, steps, stemChannels, dim, experts, topK, expertHidden,
          neurons, balance, spiking, seed, e);
    }

    /** Tokens per image: (H/4)(W/4). */
    public int tokens() {
      return (height / 2 / 2) * (width / 2 / 2);
    }
  }

  private final Config config;
  private final boolean rateCoded;
  private final boolean smooth;
  private final Task task;
  private int t;
  private final int h1;
  private final int w1;
  private final int c1;
  private final int d;
  private final int n;
  private final Conv2d conv1;
  private final BatchNorm bn1;
  private final Activation lif1;
  private final MaxPool2d pool1;
  private final Conv2d conv2;
  private final BatchNorm bn2;
  private final MaxPool2d pool2;
  private final Activation lifA;
  private final Projection q;
  private final Projection k;
  private final Projection v;
  private final SpikeDrivenAttention attention;
  private final Projection o;
  private final Activation lifM;
  private final MoeLayer moe;
  private final Activation lifH;
  private final Head head;
  private final List<Parameter> parameters;
  private final List<BatchNorm> norms;

  // Workspaces, grown to the largest batch seen.
  private int batch;
  private float[] img = new float[0];
  private float[] c1v = new float[0];
  private float[] a1 = new float[0];
  private float[] cur1 = new float[0];
  private float[] s1 = new float[0];
  private float[] p1 = new float[0];
  private float[] c2 = new float[0];
  private float[] a2 = new float[0];
  private float[] u0 = new float[0];
  private float[] sA = new float[0];
  private float[] qs = new float[0];
  private float[] ks = new float[0];
  private float[] vs = new float[0];
  private float[] att = new float[0];
  private float[] ob = new float[0];
  private float[] u1 = new float[0];
  private float[] sM = new float[0];
  private float[] mo = new float[0];
  private float[] u2 = new float[0];
  private float[] sH = new float[0];
  private float[] rate = new float[0];
  private float[] dRate = new float[0];
  private float[] g1 = new float[0];
  private float[] g2 = new float[0];
  private float[] g3 = new float[0];
  private float[] g4 = new float[0];
  private float[] gBig = new float[0];
  private float[] gBig2 = new float[0];

  // Rate coding: training steps taken (a new draw of input spikes per step; the loss evaluations of
  // one step see the same spikes) and the pass the current forward pass draws for (-1: prediction).
  private long stepsTaken;
  private long pass;

  // Inference counts, summed over predict calls until reset.
  // Summed as primitives: a prediction allocates nothing once warm.
  private double samples;
  private double macTotal;
  private double accumulateTotal;
  private double routerMacTotal;
  private double routerAccumulateTotal;
  private final Map<String, double[]> spikeTotals = new LinkedHashMap<>();
  private final long[][] usage;

  /** A model of this configuration, its weights drawn from {@code config.seed()}. */
  public SpikingMoE(Config config) {
    this(config, false);
  }

  /** A model whose spiking neurons are their smooth twins ({@link LifNeurons}), for gradient checks. */
  SpikingMoE(Config config, boolean smoothNeurons) {
    this.smooth = smoothNeurons;
    this.config = Objects.requireNonNull(config, "config");
    this.rateCoded = config.encoding() == Encoding.RATE;
    this.task = Task.classification(config.classes());
    this.t = config.steps();
    this.c1 = config.stemChannels();
    this.d = config.dim();
    this.h1 = config.height() / 2;
    this.w1 = config.width() / 2;
    this.n = config.tokens();
    Random r = new Random(config.seed());
    boolean spk = config.spiking();
    this.conv1 = new Conv2d("conv1", config.channels(), c1, 3, 1, config.height(), config.width(), r);
    this.bn1 = new BatchNorm("conv1.bn", c1);
    this.lif1 = activation(spk, config.neurons());
    this.pool1 = new MaxPool2d(config.height(), config.width(), c1);
    this.conv2 = new Conv2d("conv2", c1, d, 3, 1, h1, w1, r);
    this.bn2 = new BatchNorm("conv2.bn", d);
    this.pool2 = new MaxPool2d(h1, w1, d);
    this.lifA = activation(spk, config.neurons());
    this.q = new Projection("attention.q", d, d, activation(spk, config.neurons()), r);
    this.k = new Projection("attention.k", d, d, activation(spk, config.neurons()), r);
    this.v = new Projection("attention.v", d, d, activation(spk, config.neurons()), r);
    this.attention = new SpikeDrivenAttention(spk ? activationOf(SpikeDrivenAttention.DEFAULT_MASK) : new Relu());
    this.o = new Projection("attention.o", d, d, null, r);
    this.lifM = activation(spk, config.neurons());
    this.moe = new MoeLayer("moe", d, config.expertHidden(), config.experts(), config.topK(),
        spk ? MoeLayer.Combination.SPIKE_DRIVEN : MoeLayer.Combination.WEIGHTED,
        () -> activation(spk, config.neurons()), config.balance(), r);
    this.lifH = activation(spk, config.neurons());
    this.head = new Head("head", n * d, task, r);
    List<Parameter> ps = new ArrayList<>();
    ps.addAll(conv1.parameters());
    ps.addAll(bn1.parameters());
    ps.addAll(conv2.parameters());
    ps.addAll(bn2.parameters());
    for (Projection p : List.of(q, k, v, o)) {
      ps.addAll(p.parameters());
    }
    ps.addAll(moe.parameters());
    ps.addAll(head.parameters());
    this.parameters = List.copyOf(ps);
    this.norms = List.of(bn1, bn2, q.norm(), k.norm(), v.norm(), o.norm());
    this.usage = new long[config.classes()][config.experts()];
  }

  private Activation activationOf(LifConfig neurons) {
    return new LifNeurons(neurons, dev.auramoe.internal.vector.KernelProvider.get(), smooth);
  }

  private Activation activation(boolean spiking, LifConfig neurons) {
    return spiking ? new LifNeurons(neurons, dev.auramoe.internal.vector.KernelProvider.get(), smooth) : new Relu();
  }

  /** The configuration (its {@code steps} as built; {@link #steps()} is the current T). */
  public Config config() {
    return config;
  }

  /** The time steps each image is presented for now. */
  public int steps() {
    return t;
  }

  /**
   * Presents images for T steps from now on: the weights do not depend on T (the neurons have no
   * per-step parameters and the head reads spike rates), so a model trained at one T can be run at
   * another, trading accuracy for energy. The dense twin runs one step only.
   */
  public void setSteps(int steps) {
    config.withSteps(steps);
    t = steps;
  }

  @Override
  public Task task() {
    return task;
  }

  @Override
  public int inputDim() {
    return config.channels() * config.height() * config.width();
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /** The batch normalisations, in a fixed order (their running estimates are part of a saved model). */
  public List<BatchNorm> norms() {
    return norms;
  }

  /** The mixture layer: its router, balancer and last choices. */
  public MoeLayer mixture() {
    return moe;
  }

  /**
   * Commits the batch normalisations' running estimates and records the router's load with its
   * balancer: after the step, so that a step refused for a non-finite gradient leaves both as they were.
   */
  @Override
  public void afterStep() {
    for (int i = 0; i < norms.size(); i++) {
      norms.get(i).commitRunningEstimates();
    }
    moe.recordLoad();
    stepsTaken++;
  }

  /** {@inheritDoc} Batch normalisation runs on the batch's statistics (training mode). */
  @Override
  public double lossAndGradients(SequenceBatch b) {
    zeroGradients();
    setTraining(true);
    moe.setCounting(false);
    pass = stepsTaken;
    forward(b);
    double loss = head.loss(b);
    backward();
    return loss;
  }

  @Override
  public void predict(SequenceBatch b, float[] out) {
    setTraining(false);
    moe.setCounting(true);
    pass = -1;
    forward(b);
    head.outputs(out);
    count(b);
  }

  private void setTraining(boolean on) {
    // Indexed: an iterator over the list is an allocation wherever escape analysis gives up.
    for (int i = 0; i < norms.size(); i++) {
      norms.get(i).setTraining(on);
    }
  }

  private void forward(SequenceBatch b) {
    if (b.features() != inputDim()) {
      throw new IllegalArgumentException("the model reads images of " + inputDim() + " values ("
          + config.channels() + " x " + config.height() + " x " + config.width() + "), the batch holds "
          + b.features());
    }
    if (b.steps() != 1) {
      throw new IllegalArgumentException("an image is one step of pixels, the batch has " + b.steps() + " steps");
    }
    int bs = b.size();
    float[] x = b.x();
    // Before anything moves: a training pass updates batch normalisation's running estimates before
    // any gradient exists, so one NaN would spoil every later prediction.
    int features = inputDim();
    for (int i = 0; i < bs * features; i++) {
      if (!Float.isFinite(x[i])) {
        throw new IllegalArgumentException("image " + i / features + " of the batch holds " + x[i] + " at pixel "
            + i % features + "; pixels must be finite");
      }
      if (rateCoded && !(x[i] >= 0f && x[i] <= 1f)) {
        throw new IllegalArgumentException("image " + i / features + " of the batch holds " + x[i] + " at pixel "
            + i % features + "; rate coding reads intensities in [0, 1] (pixels divided by their maximum, not "
            + "standardised)");
      }
    }
    this.batch = bs;
    int hw = config.height() * config.width();
    int cin = config.channels();
    grow(bs);
    int per = bs * hw * c1;
    if (rateCoded) {
      encodeRates(x, bs);
      conv1.forward(img, t * bs, c1v);
      bn1.forward(c1v, t * bs * hw, cur1);
    } else {
      // Channels first to channels last.
      for (int i = 0; i < bs; i++) {
        for (int c = 0; c < cin; c++) {
          for (int p = 0; p < hw; p++) {
            img[(i * hw + p) * cin + c] = x[(i * cin + c) * hw + p];
          }
        }
      }
      conv1.forward(img, bs, c1v);
      bn1.forward(c1v, bs * hw, a1);
      for (int s = 0; s < t; s++) {
        System.arraycopy(a1, 0, cur1, s * per, per);
      }
    }
    lif1.forward(cur1, t, per, s1);
    pool1.forward(s1, t * bs, p1);
    conv2.forward(p1, t * bs, c2);
    bn2.forward(c2, t * bs * h1 * w1, a2);
    pool2.forward(a2, t * bs, u0);
    int tokens = bs * n;
    int size = t * tokens * d;
    lifA.forward(u0, t, tokens * d, sA);
    q.forward(sA, t, tokens, qs);
    k.forward(sA, t, tokens, ks);
    v.forward(sA, t, tokens, vs);
    attention.forward(qs, ks, vs, t, bs, n, d, att);
    o.forward(att, t, tokens, ob);
    for (int i = 0; i < size; i++) {
      u1[i] = u0[i] + ob[i];
    }
    lifM.forward(u1, t, tokens * d, sM);
    moe.forward(sM, t, tokens, mo);
    for (int i = 0; i < size; i++) {
      u2[i] = u1[i] + mo[i];
    }
    lifH.forward(u2, t, tokens * d, sH);
    int flat = n * d;
    java.util.Arrays.fill(rate, 0, bs * flat, 0f);
    float inv = 1f / t;
    for (int s = 0; s < t; s++) {
      int so = s * bs * flat;
      for (int i = 0; i < bs * flat; i++) {
        rate[i] += sH[so + i];
      }
    }
    for (int i = 0; i < bs * flat; i++) {
      rate[i] *= inv;
    }
    head.forward(rate, bs);
  }

  /** Rate coding: {@code img[t][b][pixel][channel]} = Bernoulli spikes of the intensities (see {@link Encoding}). */
  private void encodeRates(float[] x, int bs) {
    int hw = config.height() * config.width();
    int cin = config.channels();
    int features = hw * cin;
    for (int i = 0; i < bs; i++) {
      long key = Encoding.imageKey(x, i * features, features);
      for (int s = 0; s < t; s++) {
        int base = (s * bs + i) * features;
        for (int c = 0; c < cin; c++) {
          for (int p = 0; p < hw; p++) {
            int pixel = c * hw + p;
            float u = Encoding.uniform(config.seed(), pass, key, s, pixel);
            img[base + p * cin + c] = u < x[i * features + pixel] ? 1f : 0f;
          }
        }
      }
    }
  }

  private void backward() {
    int bs = batch;
    int tokens = bs * n;
    int size = t * tokens * d;
    int flat = n * d;
    head.backward(rate, dRate);
    // g1 = dL/d sH, then dL/d u2.
    float inv = 1f / t;
    for (int s = 0; s < t; s++) {
      int so = s * bs * flat;
      for (int i = 0; i < bs * flat; i++) {
        g1[so + i] = dRate[i] * inv;
      }
    }
    lifH.backward(g1, g1);
    // g2 = dL/d sM, then dL/d u1 = dL/d u2 + the expert block's share.
    moe.backward(sM, g1, g2);
    lifM.backward(g2, g2);
    for (int i = 0; i < size; i++) {
      g1[i] += g2[i];
    }
    // The attention block: g1 is dL/d u1 = dL/d ob.
    o.backward(att, g1, g2);
    attention.backward(qs, ks, vs, g2, g3, g4, gBig);
    // g3, g4, gBig: dL/dQ, dL/dK, dL/dV; each projection's input gradient summed into g2.
    q.backward(sA, g3, g2);
    k.backward(sA, g4, g3);
    for (int i = 0; i < size; i++) {
      g2[i] += g3[i];
    }
    v.backward(sA, gBig, g3);
    for (int i = 0; i < size; i++) {
      g2[i] += g3[i];
    }
    lifA.backward(g2, g2);
    // dL/d u0 = dL/d u1 + the attention's share.
    for (int i = 0; i < size; i++) {
      g1[i] += g2[i];
    }
    pool2.backward(g1, gBig);
    bn2.backward(c2, gBig, gBig2);
    conv2.backward(p1, gBig2, t * bs, gBig);
    int hw = config.height() * config.width();
    int per = bs * hw * c1;
    pool1.backward(gBig, cur1);
    lif1.backward(cur1, cur1);
    if (rateCoded) {
      // Each step's current came from its own spikes.
      bn1.backward(c1v, cur1, gBig2);
      conv1.backward(img, gBig2, t * bs, null);
      return;
    }
    // The same current fed every step: its gradient is the sum over steps.
    for (int s = 1; s < t; s++) {
      int so = s * per;
      for (int i = 0; i < per; i++) {
        cur1[i] += cur1[so + i];
      }
    }
    bn1.backward(c1v, cur1, gBig2);
    conv1.backward(img, gBig2, bs, null);
  }

  private void count(SequenceBatch b) {
    int bs = batch;
    int tokens = bs * n;
    long rows = (long) t * tokens;
    boolean spk = config.spiking();
    int hw = config.height() * config.width();
    double macs = 0;
    double acs = 0;
    if (rateCoded) {
      // The first convolution reads spikes: accumulates per input spike, and its bias at every step.
      acs += conv1.synapticOperations(img, t * bs) + (double) t * bs * hw * c1;
      double[] tot = spikeTotals.computeIfAbsent("input", key -> new double[2]);
      tot[0] += nonzero(img, t * bs * hw * config.channels());
      tot[1] += (double) t * bs * hw * config.channels();
    } else {
      macs += (double) conv1.macsPerImage() * bs;
      acs += (double) bs * hw * c1;
    }
    if (spk) {
      acs += conv2.synapticOperations(p1, t * bs);
      acs += 3.0 * nonzero(sA, (int) (rows * d)) * d;
      acs += attention.accumulates();
      acs += (double) nonzero(att, (int) (rows * d)) * d;
      acs += nonzero(sH, (int) (rows * d)) * (double) config.classes();
    } else {
      macs += (double) conv2.macsPerImage() * bs;
      macs += 4.0 * rows * q.macsPerRow();
      macs += 2.0 * rows * d;
      macs += (double) bs * n * d * config.classes();
    }
    // The residual additions of the membrane stream: one add per value, twice.
    acs += 2.0 * rows * d;
    // The bias additions (batch normalisation folded into each layer's bias): one add per output
    // value of the convolutions, the projections and the head, in both models.
    acs += (double) t * bs * h1 * w1 * d + 4.0 * rows * d + (double) bs * config.classes();
    acs += moe.expertAccumulates() + moe.routerAccumulates();
    macs += moe.expertMacs() + moe.routerMacs();
    // The router's softmax over E logits per token, counted as E multiply-accumulates.
    double softmax = (double) tokens * config.experts();
    macs += softmax;
    macTotal += macs;
    accumulateTotal += acs;
    routerMacTotal += moe.routerMacs() + softmax;
    routerAccumulateTotal += moe.routerAccumulates();
    samples += bs;
    record("encoder", lif1, (double) t * bs * config.height() * config.width() * c1);
    record("attention.input", lifA, (double) rows * d);
    record("attention.q", q.activation(), (double) rows * d);
    record("attention.k", k.activation(), (double) rows * d);
    record("attention.v", v.activation(), (double) rows * d);
    record("attention.mask", attention.mask(), (double) t * bs * d);
    record("moe.input", lifM, (double) rows * d);
    double hiddenSpikes = 0;
    double hiddenCells = 0;
    for (int e = 0; e < config.experts(); e++) {
      if (moe.activation(e) instanceof LifNeurons l && moe.routedTokens(e) > 0) {
        hiddenSpikes += l.spikeCount();
        hiddenCells += (double) t * moe.routedTokens(e) * config.expertHidden();
      }
    }
    if (spk) {
      double[] tot = spikeTotals.computeIfAbsent("moe.experts", key -> new double[2]);
      tot[0] += hiddenSpikes;
      tot[1] += hiddenCells;
    }
    record("head.input", lifH, (double) rows * d);
    int[] labels = b.labels();
    int[] chosen = moe.gate().chosen();
    int kept = moe.gate().kept();
    for (int i = 0; i < bs; i++) {
      int label = labels[i];
      if (label < 0 || label >= config.classes()) {
        continue;
      }
      for (int tok = i * n; tok < (i + 1) * n; tok++) {
        for (int j = 0; j < kept; j++) {
          usage[label][chosen[tok * kept + j]]++;
        }
      }
    }
  }

  private void record(String name, Activation a, double cells) {
    if (a instanceof LifNeurons l) {
      double[] tot = spikeTotals.computeIfAbsent(name, key -> new double[2]);
      tot[0] += l.spikeCount();
      tot[1] += cells;
    }
  }

  private static long nonzero(float[] a, int size) {
    long c = 0;
    for (int i = 0; i < size; i++) {
      c += a[i] != 0f ? 1 : 0;
    }
    return c;
  }

  /** Clears the inference counts. */
  public void resetCounts() {
    samples = 0;
    macTotal = 0;
    accumulateTotal = 0;
    routerMacTotal = 0;
    routerAccumulateTotal = 0;
    spikeTotals.clear();
    for (long[] row : usage) {
      java.util.Arrays.fill(row, 0);
    }
  }

  /** Images predicted since the counts were reset. */
  public double countedSamples() {
    return samples;
  }

  /** The whole model's operations per image predicted since the counts were reset (router included). */
  public Operations operations() {
    return samples == 0 ? Operations.NONE : new Operations(macTotal, accumulateTotal).per(samples);
  }

  /** The router's operations per image predicted since the counts were reset. */
  public Operations routerOperations() {
    return samples == 0 ? Operations.NONE : new Operations(routerMacTotal, routerAccumulateTotal).per(samples);
  }

  /** Spikes per neuron and time step of each spiking layer since the counts were reset (empty for the twin). */
  public Map<String, Double> firingRates() {
    Map<String, Double> out = new LinkedHashMap<>();
    spikeTotals.forEach((name, tot) -> out.put(name, tot[1] == 0 ? 0.0 : tot[0] / tot[1]));
    return out;
  }

  /** Tokens routed to each expert per true class since the counts were reset, {@code [classes][experts]} (a copy). */
  public long[][] expertUsage() {
    long[][] copy = new long[usage.length][];
    for (int i = 0; i < usage.length; i++) {
      copy[i] = usage[i].clone();
    }
    return copy;
  }

  private void grow(int bs) {
    int hw = config.height() * config.width();
    int per = bs * hw * c1;
    int big = Math.max(t * per, t * bs * h1 * w1 * d);
    int tok = t * bs * n * d;
    int encoded = rateCoded ? t : 1;
    img = Buffers.grow(img, encoded * bs * hw * config.channels());
    c1v = Buffers.grow(c1v, encoded * per);
    a1 = Buffers.grow(a1, per);
    cur1 = Buffers.grow(cur1, t * per);
    s1 = Buffers.grow(s1, t * per);
    p1 = Buffers.grow(p1, t * bs * h1 * w1 * c1);
    c2 = Buffers.grow(c2, t * bs * h1 * w1 * d);
    a2 = Buffers.grow(a2, t * bs * h1 * w1 * d);
    u0 = Buffers.grow(u0, tok);
    sA = Buffers.grow(sA, tok);
    qs = Buffers.grow(qs, tok);
    ks = Buffers.grow(ks, tok);
    vs = Buffers.grow(vs, tok);
    att = Buffers.grow(att, tok);
    ob = Buffers.grow(ob, tok);
    u1 = Buffers.grow(u1, tok);
    sM = Buffers.grow(sM, tok);
    mo = Buffers.grow(mo, tok);
    u2 = Buffers.grow(u2, tok);
    sH = Buffers.grow(sH, tok);
    rate = Buffers.grow(rate, bs * n * d);
    dRate = Buffers.grow(dRate, bs * n * d);
    g1 = Buffers.grow(g1, tok);
    g2 = Buffers.grow(g2, tok);
    g3 = Buffers.grow(g3, tok);
    g4 = Buffers.grow(g4, tok);
    gBig = Buffers.grow(gBig, Math.max(big, tok));
    gBig2 = Buffers.grow(gBig2, Math.max(big, per));
  }
}
