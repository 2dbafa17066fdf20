package dev.auramoe.engine;

import dev.auramoe.Credit;
import dev.auramoe.energy.Component;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.policy.Assignment;
import java.util.Arrays;

/**
 * The prediction and learning pass of a model. A prediction routes x ({@link RoutePass}) and mixes
 * the chosen experts ({@link ExpertPool#mix}). A learn step then, in order:
 * <pre>
 *   error     se = |y - y_hat|^2 (in double where the float difference overflows)
 *   responsibilities  r_j ∝ p_j exp(-(e_j - e_min) / 2 s^2) over the chosen experts, where e_j is
 *             expert j's own squared error and s^2 a moving average of their mean (errorScale)
 *   experts   each chosen adaptive expert learns from its own error, weighted by its gate weight
 *             or its responsibility ({@link Credit})
 *   recent    when the router reads recent errors, every expert's squared error on y updates the
 *             stream's average of it, r_e += rate (min(e_e / s^2, 1e6) - r_e) (the others predict here)
 *   router    a delta rule toward the responsibilities ({@link Router#learn}), from the cell state
 *             the input was routed with
 * </pre>
 * Not thread-safe: the model calls it under its lock, and it owns the scratch space.
 */
public final class LearnPass {

  private final ModelState m;
  private final RoutePass routing;
  private final boolean gateWeightCredit;
  /** Weight of the newest error in a stream's recent errors. */
  private final float recentRate;
  private final float[] errors;
  private final float[] resp;
  /** Every expert's squared error on the target, when the router reads recent errors. */
  private final float[] allErrors;
  private final float[] xRow;
  private final float[] yRow;
  private final float[] yHatRow;

  public LearnPass(ModelState m, RoutePass routing) {
    this.m = m;
    this.routing = routing;
    this.gateWeightCredit = m.config.credit() == Credit.GATE_WEIGHT;
    this.recentRate = m.config.recentErrors().rate();
    this.errors = new float[m.experts];
    this.resp = new float[m.experts];
    this.allErrors = new float[m.experts];
    this.xRow = new float[m.in];
    this.yRow = new float[m.out];
    this.yHatRow = new float[m.out];
  }

  /** Routes x on an open stream and writes the mixture's prediction into {@code yHat}. */
  public void predict(String stream, float[] x, float[] yHat, RouteBuffer b) {
    StreamState s = m.streams.advancing(stream);
    routing.checkCausalPolicy();
    m.meter.beginCall();
    routing.route(s, x, 0, null, Float.NaN, null, b);
    m.pool.mix(m.k, x, b, yHat, m.meter);
  }

  /**
   * The prequential step: routes x, writes the prediction into {@code yHat}, then learns from y.
   *
   * @return the squared error of the prediction made before learning
   */
  public double learn(String stream, float[] x, float elapsed, int[] tokens, float[] y, float[] yHat, RouteBuffer b) {
    StreamState s = m.streams.advancing(stream);
    s.checkTokens(tokens);
    routing.checkCausalPolicy();
    m.meter.beginCall();
    routing.route(s, x, 0, null, elapsed, tokens, b);
    return learnRouted(s.h, 0, s.recent, x, y, yHat, b);
  }

  /**
   * Prequential learning over a window routed with the policy in force: token by token, each real
   * token's prediction goes to {@code yHats} and its experts and the router learn from it; see
   * {@code MixtureOfExperts#learnWindow}. The whole window is routed with the stream's recent errors
   * as they were at its start; each token's target then updates them.
   *
   * @return the summed squared error of the real tokens' predictions
   */
  public double learnWindow(String stream, float[] xs, float[] ys, int count, boolean[] valid, Assignment assigned,
      float[] yHats) {
    StreamState s = m.streams.advancing(stream);
    m.meter.beginCall();
    routing.window(s, xs, count, valid, true, assigned);
    RouteBuffer b = routing.scratch();
    float[] states = routing.windowStates();
    int in = m.in;
    int out = m.out;
    double se = 0;
    for (int t = 0; t < count; t++) {
      if (valid != null && !valid[t]) {
        Arrays.fill(yHats, t * out, (t + 1) * out, 0f);
        continue;
      }
      routing.windowToken(t, assigned, b);
      System.arraycopy(xs, t * in, xRow, 0, in);
      System.arraycopy(ys, t * out, yRow, 0, out);
      se += learnRouted(states, t * m.hidden, s.recent, xRow, yRow, yHatRow, b);
      System.arraycopy(yHatRow, 0, yHats, t * out, out);
    }
    return se;
  }

  /**
   * Prequential learning over inputs of many streams, bit for bit as {@code count} single learn steps
   * in this order would: input t of stream {@code streams[t]}, its prediction to row t of
   * {@code yHats}. The cell is not learned, so when the router does not read x each chunk of inputs
   * first advances every stream's cell ({@link RoutePass#advanceChunk}); then input by input, in
   * order, the router reads it out, the routing policy in force (if causal) or the built-in top-k
   * selects, and the experts and the router learn. A router that reads x learns its readout of x,
   * which lives in the cell's projection, so every input's projection depends on the inputs learned
   * before it: then each input is routed and learned in turn as {@link #learn} does (one lock and
   * one check of the arguments for the whole call), since projecting the chunk ahead would only add a
   * second projection per input.
   *
   * @return the summed squared error of the predictions
   * @throws java.util.NoSuchElementException for a stream that is not open (nothing changed)
   * @throws IllegalStateException when the routing policy needs whole windows (nothing changed)
   */
  public double learnMany(String[] streams, float[] xs, float[] ys, int count, float[] yHats) {
    StreamState[] states = routing.resolveMany(streams, count);
    try {
      routing.checkCausalPolicy();
      m.meter.beginCall();
      RouteBuffer b = routing.scratch();
      int in = m.in;
      int out = m.out;
      double se = 0;
      if (m.cell.extraColumns() > 0) {
        for (int t = 0; t < count; t++) {
          StreamState s = states[t];
          System.arraycopy(xs, t * in, xRow, 0, in);
          System.arraycopy(ys, t * out, yRow, 0, out);
          routing.route(s, xRow, 0, null, Float.NaN, null, b);
          se += learnRouted(s.h, 0, s.recent, xRow, yRow, yHatRow, b);
          System.arraycopy(yHatRow, 0, yHats, t * out, out);
        }
        return se;
      }
      for (int from = 0; from < count; from += RoutePass.CHUNK) {
        int n = Math.min(RoutePass.CHUNK, count - from);
        routing.advanceChunk(states, from, n, xs);
        float[] hs = routing.manyStates();
        for (int t = 0; t < n; t++) {
          int g = from + t;
          StreamState s = states[g];
          System.arraycopy(xs, g * in, xRow, 0, in);
          System.arraycopy(ys, g * out, yRow, 0, out);
          routing.routeAdvanced(s, t, b);
          se += learnRouted(hs, t * m.hidden, s.recent, xRow, yRow, yHatRow, b);
          System.arraycopy(yHatRow, 0, yHats, g * out, out);
        }
      }
      return se;
    } finally {
      java.util.Arrays.fill(states, 0, count, null);
    }
  }

  /**
   * Predicts with the experts routed in {@code b}, then updates them and the router. {@code h}
   * from {@code hOff} is the cell state the routing was computed from (the router's features);
   * {@code recent} is the stream's recent errors (empty when the router reads none).
   */
  private double learnRouted(float[] h, int hOff, float[] recent, float[] x, float[] y, float[] yHat,
      RouteBuffer b) {
    m.pool.mix(m.k, x, b, yHat, m.meter);
    int[] chosen = b.expertsArray();
    float[] probs = b.probabilitiesArray();
    int out = m.out;
    int kk = b.k();
    double se = squaredError(y, yHat, out);
    if (kk == 0) {
      // Every slot was dropped (capacity) or taken by no expert (expert choice): nothing to learn.
      return se;
    }
    float minErr = Float.POSITIVE_INFINITY;
    float meanErr = 0f;
    for (int j = 0; j < kk; j++) {
      errors[j] = expertError(y, m.pool.output(j), out);
      minErr = Math.min(minErr, errors[j]);
      meanErr += errors[j] / kk;
    }
    long learnMacs = (long) kk * out;
    if (recent.length > 0) {
      // Every expert's error, before anything changes: an expert that throws leaves the model as it was.
      learnMacs += errorsOfAll(chosen, kk, x, y);
    }
    m.errorScale = nextErrorScale(m.errorScale, meanErr);
    float errorScale = m.errorScale;
    if (recent.length > 0) {
      learnMacs += updateRecentErrors(recent, errorScale);
    }
    float massChosen = responsibilities(chosen, kk, probs, errors, minErr, errorScale, resp);
    learnMacs += m.pool.learn(chosen, kk, gateWeightCredit ? b.weightsArray() : resp, x, y);
    float rate = m.routerLearningRate;
    if (rate > 0f) {
      learnMacs += m.router.learn(m.k, rate, h, hOff, x, chosen, kk, massChosen, resp, probs);
    }
    m.meter.add(Component.LEARNING, learnMacs);
    m.learnSteps++;
    return se;
  }

  /** The squared error of a prediction, |y - yHat|^2 over the first {@code out} values, in double where a float difference overflows. */
  public static double squaredError(float[] y, float[] yHat, int out) {
    double se = 0;
    for (int i = 0; i < out; i++) {
      float d = y[i] - yHat[i];
      // Both lie in float range, their difference may not: then it is taken in double.
      double dd = Float.isFinite(d) ? d : (double) y[i] - yHat[i];
      se += dd * dd;
    }
    return se;
  }

  /** An expert's squared error on y from its output v (first {@code out} values); Float.MAX_VALUE when not finite. */
  public static float expertError(float[] y, float[] v, int out) {
    float e = 0f;
    for (int i = 0; i < out; i++) {
      float d = y[i] - v[i];
      e += d * d;
    }
    return Float.isFinite(e) ? e : Float.MAX_VALUE;
  }

  /**
   * The error scale s^2 after a step whose chosen experts' mean squared error is {@code meanErr}: that
   * error at the first step ({@code scale == 0}), then a moving average of weight 0.01, at least 1e-12.
   */
  public static float nextErrorScale(float scale, float meanErr) {
    return scale == 0f ? Math.max(meanErr, 1e-12f) : Math.max(0.99f * scale + 0.01f * meanErr, 1e-12f);
  }

  /**
   * The responsibilities of the {@code kk} chosen experts into {@code resp}: r_j ∝ p_j exp(-(e_j -
   * e_min) / 2 s^2), normalised (uniform when every term underflows), where p are the route's
   * probabilities (indexed by expert), e_j the chosen experts' own squared errors (by slot) and s^2
   * the error scale.
   *
   * @return the probability mass of the chosen experts
   */
  public static float responsibilities(int[] chosen, int kk, float[] probs, float[] errors, float minErr,
      float errorScale, float[] resp) {
    float massChosen = 0f;
    float rsum = 0f;
    for (int j = 0; j < kk; j++) {
      float pj = probs[chosen[j]];
      massChosen += pj;
      resp[j] = pj * (float) Math.exp(-(errors[j] - minErr) / (2f * errorScale));
      rsum += resp[j];
    }
    if (!(rsum > 0f)) {
      for (int j = 0; j < kk; j++) {
        resp[j] = 1f / kk;
      }
    } else {
      for (int j = 0; j < kk; j++) {
        resp[j] /= rsum;
      }
    }
    return massChosen;
  }

  /**
   * Every expert's squared error on y into {@code allErrors}: the chosen ones' from their outputs of
   * the mix, the others' from a prediction made here.
   *
   * @return the MACs spent
   */
  private long errorsOfAll(int[] chosen, int kk, float[] x, float[] y) {
    for (int j = 0; j < kk; j++) {
      allErrors[chosen[j]] = errors[j];
    }
    return m.pool.errorsOfOthers(chosen, kk, x, y, allErrors);
  }

  /**
   * Updates the stream's recent error of every expert from {@code allErrors} ({@link
   * dev.auramoe.RecentErrors}: its squared error on y over the error scale, exponentially averaged).
   *
   * @return the MACs spent
   */
  private long updateRecentErrors(float[] r, float errorScale) {
    updateRecentErrors(r, allErrors, errorScale, recentRate);
    return r.length;
  }

  /**
   * {@code r[e] += rate * (min(errors[e] / errorScale, 1e6) - r[e])} for every expert: a stream's recent
   * errors after a step whose experts' squared errors on y are {@code errors}.
   */
  public static void updateRecentErrors(float[] r, float[] errors, float errorScale, float rate) {
    for (int e = 0; e < r.length; e++) {
      float v = Math.min(errors[e] / errorScale, 1e6f);
      r[e] += rate * (v - r[e]);
    }
  }
}
