package dev.auramoe.seq;

import dev.auramoe.StreamCapacityException;
import dev.auramoe.seq.data.Preprocessing;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Scores live streams step by step with a saved model: each stream (a sensor, a patient, a session)
 * sends its raw inputs one at a time, and after each one the scorer answers the model's outputs for
 * the sequence the stream has sent so far, as {@link SequenceModel#predict} would for that sequence
 * as a whole.
 *
 * <p>Per stream it keeps only what the next step needs, so a step costs the same at the millionth
 * input as at the first: each recurrent layer's state ({@link SequenceLayer#step}: the liquid cell's
 * h, the LSTM's h and c, the CfC cell's h) and, with temporal attention, a running softmax over the
 * states seen ({@link TemporalAttention#fold}: the running maximum score, the sum of the exponentials
 * and the weighted sum of the states, rescaled when the maximum rises). Each step applies the saved
 * {@link Preprocessing} (standardisation, time unit, elapsed feature), advances the layers, and
 * finishes with the gate, the mixture and the head (a mixture) or the head. The outputs match
 * {@code predict} on the whole sequence up to rounding: the batched products may sum in another
 * order, and the running softmax is computed in double where the batch rounds each weight to float
 * (both well below 1e-5; {@code SequenceScorerTest}).
 *
 * <p><b>Streams.</b> A stream opens at its first step and holds {@code stateValues()} floats and
 * doubles until {@link #forget} closes it. At most {@code maxStreams} are open: a step of a new stream
 * beyond that either evicts the least recently scored stream (its state is lost: its next step starts
 * a new sequence) or is refused with the core's {@link StreamCapacityException}, nothing changed, as
 * the constructor chose. Bad input (a wrong number of features, a non-finite feature, a negative or
 * infinite gap) is refused naming the stream, and changes nothing: neither that stream's state nor
 * the set of streams.
 *
 * <p>Not thread-safe: the model's layers keep their workspaces; one thread scores through one scorer
 * (a service holds one per worker, or locks).
 */
public final class SequenceScorer {

  private final SavedSequenceModel saved;
  private final SequenceModel model;
  private final Preprocessing pre;
  private final int raw;
  private final int features;
  private final int outputs;
  private final int maxStreams;
  private final boolean evict;
  private final LinkedHashMap<String, Stream> streams = new LinkedHashMap<>(16, 0.75f, true);
  private long evicted;

  // The one model's parts and per-step workspaces.
  private final MultiRateMoE mixture;
  private final SequenceLayer[] layers;
  private final TemporalAttention[] attention;
  private final int hd;
  private final int layerIn;
  private final float regular;
  private final float[] x;
  private final float[] xt;
  private final float[] xin;
  private final float[] summary;
  /** Width of one expert's context. */
  private final int cw;
  private final float[] ctx;
  private final float[] mix;

  /** One stream's state: each layer's state, each attention's running softmax, its steps. */
  private static final class Stream {
    final float[] state;
    final double[] runs;
    long steps;

    Stream(int stateSize, int runSize) {
      this.state = new float[stateSize];
      this.runs = new double[runSize];
    }
  }

  /**
   * A scorer of at most {@code maxStreams} open streams.
   *
   * @param evictLeastRecent at the cap, whether a new stream evicts the least recently scored one
   *     (true) or is refused (false)
   */
  public SequenceScorer(SavedSequenceModel saved, int maxStreams, boolean evictLeastRecent) {
    this.saved = Objects.requireNonNull(saved, "saved");
    if (maxStreams < 1) {
      throw new IllegalArgumentException("maxStreams must be >= 1, got " + maxStreams);
    }
    this.maxStreams = maxStreams;
    this.evict = evictLeastRecent;
    this.model = saved.model();
    this.pre = saved.preprocessing();
    this.raw = saved.rawFeatures();
    this.features = model.inputDim();
    this.outputs = model.task().outputs();
    this.x = new float[features];
    switch (model) {
      case MultiRateMoE mr -> {
        MultiRateMoE.Config c = mr.config();
        int n = c.experts();
        this.mixture = mr;
        this.layers = new SequenceLayer[n];
        this.attention = new TemporalAttention[n];
        for (int k = 0; k < n; k++) {
          layers[k] = mr.expert(k);
          attention[k] = mr.temporalAttention(k);
        }
        this.hd = c.cell().hidden();
        this.regular = c.cell().unfolds() * c.cell().dt();
      }
      case RecurrentModel r -> {
        this.mixture = null;
        this.layers = new SequenceLayer[] {r.layer()};
        this.attention = new TemporalAttention[] {r.temporalAttention()};
        this.hd = r.layer().hidden();
        this.regular = Float.NaN;
      }
      default -> throw new IllegalArgumentException("cannot score a " + model.getClass().getSimpleName());
    }
    this.layerIn = layers[0].inputDim();
    this.xt = new float[features];
    this.xin = new float[layerIn];
    // A mixture's expert context is [attention context, last state] with attention (MultiRateMoE).
    this.cw = mixture != null && mixture.config().temporalAttention() ? 2 * hd : hd;
    this.summary = new float[layers.length * cw];
    this.ctx = new float[layers.length * cw];
    this.mix = new float[layers.length * cw];
  }

  /** The saved model scored. */
  public SavedSequenceModel model() {
    return saved;
  }

  /** The outputs per step: classes or targets. */
  public int outputs() {
    return outputs;
  }

  /** The open streams. */
  public int streams() {
    return streams.size();
  }

  /** The cap on open streams. */
  public int maxStreams() {
    return maxStreams;
  }

  /** The streams evicted to make room so far. */
  public long evicted() {
    return evicted;
  }

  /** The steps scored on a stream since it opened, 0 when it is not open. */
  public long steps(String streamId) {
    Stream s = streams.get(streamId);
    return s == null ? 0 : s.steps;
  }

  /** Closes a stream: its next step starts a new sequence. Returns whether it was open. */
  public boolean forget(String streamId) {
    return streams.remove(streamId) != null;
  }

  /** Closes every stream. */
  public void forgetAll() {
    streams.clear();
  }

  /** {@link #score(String, float[], float, float[])} into a new array. */
  public float[] score(String streamId, float[] rawFeatures, float gap) {
    float[] out = new float[outputs];
    score(streamId, rawFeatures, gap, out);
    return out;
  }

  /**
   * Scores one step of a stream.
   *
   * @param streamId the stream (opened by its first step)
   * @param rawFeatures the step's features as the training data had them (before standardisation),
   *     {@link SavedSequenceModel#rawFeatures()} finite values
   * @param gap the time since the stream's previous step in the data's unit, finite and &gt;= 0, or
   *     NaN for the regular step (a stream's first step is usually NaN)
   * @param out receives {@link #outputs()} values: the class probabilities or the predicted targets of
   *     the sequence so far
   * @throws IllegalArgumentException for bad input, naming the stream (nothing changes)
   * @throws StreamCapacityException for a new stream at the cap when evicting is off (nothing changes)
   */
  public void score(String streamId, float[] rawFeatures, float gap, float[] out) {
    Objects.requireNonNull(streamId, "streamId");
    if (rawFeatures.length != raw) {
      throw new IllegalArgumentException("stream " + streamId + ": the model reads " + raw + " features per step, got "
          + rawFeatures.length);
    }
    for (int i = 0; i < raw; i++) {
      if (!Float.isFinite(rawFeatures[i])) {
        throw new IllegalArgumentException("stream " + streamId + ": feature " + saved.featureNames().get(i)
            + " is not finite: " + rawFeatures[i]);
      }
    }
    if (gap < 0 || gap == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("stream " + streamId + ": the gap must be finite and >= 0 (or NaN for the "
          + "regular step), got " + gap);
    }
    if (out.length < outputs) {
      throw new IllegalArgumentException("stream " + streamId + ": " + outputs + " outputs need room, got "
          + out.length);
    }
    float e = pre.applyStep(rawFeatures, 0, gap, x, 0);
    for (int i = 0; i < features; i++) {
      if (!Float.isFinite(x[i])) {
        throw new IllegalArgumentException("stream " + streamId + ": standardised feature " + i + " overflows: "
            + x[i]);
      }
    }
    if (e < 0 || e == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("stream " + streamId + ": the gap " + gap + " is " + e
          + " in the model's time, out of range");
    }
    Stream s = open(streamId);
    boolean fresh = s.steps == 0;
    try {
      step(s, e);
    } catch (RuntimeException ex) {
      // A refusal of a layer (a gap whose schedule overflows): the state may be half advanced.
      if (fresh) {
        streams.remove(streamId);
      }
      throw new IllegalArgumentException("stream " + streamId + ": " + ex.getMessage(), ex);
    }
    s.steps++;
    finish(s, out);
  }

  private Stream open(String id) {
    Stream s = streams.get(id);
    if (s != null) {
      return s;
    }
    if (streams.size() >= maxStreams) {
      if (!evict) {
        throw new StreamCapacityException("stream " + id + ": the scorer holds its " + maxStreams + " streams; forget "
            + "one first", streams.size(), maxStreams, 1, -1);
      }
      Iterator<Map.Entry<String, Stream>> it = streams.entrySet().iterator();
      it.next();
      it.remove();
      evicted++;
    }
    int stateSize = 0;
    for (SequenceLayer l : layers) {
      stateSize += l.stateSize();
    }
    int runSize = 0;
    for (TemporalAttention a : attention) {
      runSize += a == null ? 0 : a.runningSize();
    }
    s = new Stream(stateSize, runSize);
    int ro = 0;
    for (TemporalAttention a : attention) {
      if (a != null) {
        a.clearRunning(s.runs, ro);
        ro += a.runningSize();
      }
    }
    streams.put(id, s);
    return s;
  }

  /**
   * Advances every layer of a stream over the preprocessed step {@code x} with the model's elapsed
   * time {@code e}, and folds the new states into the running attentions. Checks come first in the
   * layers, so a refused step leaves a stream as it was (the first layer refuses for all of them).
   */
  private void step(Stream s, float e) {
    float[] in = x;
    if (mixture != null) {
      if (mixture.featureAttention() != null) {
        mixture.featureAttention().forward(x, null, 1, 1, xt);
        in = xt;
      }
      if (mixture.config().elapsedFeature()) {
        System.arraycopy(in, 0, xin, 0, features);
        xin[features] = e != e ? regular : e;
        in = xin;
      }
    }
    int so = 0;
    int ro = 0;
    for (int k = 0; k < layers.length; k++) {
      // Each expert's cell carries its own time scale (its time constants' range): the same elapsed time.
      layers[k].step(in, 0, e, s.state, so);
      if (attention[k] != null) {
        attention[k].fold(s.state, so, s.runs, ro);
        ro += attention[k].runningSize();
      }
      so += layers[k].stateSize();
    }
  }

  /** The outputs of a stream's sequence so far. */
  private void finish(Stream s, float[] out) {
    int so = 0;
    int ro = 0;
    for (int k = 0; k < layers.length; k++) {
      if (attention[k] != null) {
        attention[k].runningContext(s.runs, ro, ctx, k * cw);
        ro += attention[k].runningSize();
        if (mixture != null) {
          System.arraycopy(s.state, so, ctx, k * cw + hd, hd);
        }
      } else {
        System.arraycopy(s.state, so, ctx, k * cw, hd);
      }
      so += layers[k].stateSize();
    }
    Head head;
    if (mixture != null) {
      int n = layers.length;
      System.arraycopy(ctx, 0, summary, 0, n * cw);
      ExpertGate gate = mixture.gate();
      gate.forward(summary, 1);
      float[] w = gate.weights();
      for (int k = 0; k < n; k++) {
        float wk = w[k];
        for (int j = 0; j < cw; j++) {
          mix[k * cw + j] = wk * ctx[k * cw + j];
        }
      }
      head = mixture.head();
      head.forward(mix, 1);
    } else {
      head = ((RecurrentModel) model).head();
      head.forward(ctx, 1);
    }
    head.outputs(out);
  }
}
