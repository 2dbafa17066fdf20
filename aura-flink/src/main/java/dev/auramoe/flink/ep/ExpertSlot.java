package dev.auramoe.flink.ep;

import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;

/**
 * One replica of one expert on one instance: it predicts each token sent to it, then learns from its
 * own error with the token's gate weight as its credit (the model's experts learn so with
 * {@code Credit.GATE_WEIGHT}; a credit by responsibility would need the other chosen experts' errors,
 * which meet only in the combine stage, downstream). Tokens must come in input order. Not thread-safe.
 */
public final class ExpertSlot {

  private final AdaptiveExpert expert;
  private long tokens;
  private long learned;

  private ExpertSlot(AdaptiveExpert expert) {
    this.expert = expert;
  }

  /** A replica that starts from {@code template}'s state (copied). */
  public static ExpertSlot of(Expert template) {
    if (!(template.copy() instanceof AdaptiveExpert a)) {
      throw new IllegalArgumentException("expert '" + template.name() + "' does not learn; the expert-parallel "
          + "layout needs adaptive experts");
    }
    return new ExpertSlot(a);
  }

  /** A replica of {@code template}'s kind with a state and counts from {@link #state}, {@link #tokens} and {@link #learned}. */
  public static ExpertSlot restore(Expert template, float[] state, long tokens, long learned) {
    ExpertSlot s = of(template);
    s.expert.setState(state);
    s.tokens = tokens;
    s.learned = learned;
    return s;
  }

  /**
   * Predicts a record (before learning), then, when it was chosen ({@code learn}), learns from it with
   * its gate weight as the credit.
   *
   * @return the prediction
   */
  public float[] apply(float[] x, float[] y, float weight, boolean learn) {
    float[] p = new float[y.length];
    expert.predict(x, p);
    if (learn) {
      expert.learn(x, y, p, weight);
      learned++;
    }
    tokens++;
    return p;
  }

  /** Every expert of a dispatch, on the replicas {@code slots} gives for each (by expert). */
  static ExpertOutput apply(Dispatch d, java.util.function.IntFunction<ExpertSlot> slots) {
    ExpertOutput o = new ExpertOutput();
    o.seq = d.seq;
    o.shard = d.shard;
    o.experts = d.experts;
    o.predictions = new float[d.experts.length][];
    for (int j = 0; j < d.experts.length; j++) {
      o.predictions[j] = slots.apply(d.experts[j]).apply(d.x, d.y, d.weights[j], j < d.learning);
    }
    return o;
  }

  /** The expert's learnable state (a copy). */
  public float[] state() {
    return expert.state();
  }

  /** Tokens computed (learned or only predicted): the instance's load. */
  public long tokens() {
    return tokens;
  }

  /** Tokens learned: the replica's weight in its expert when the input ends. */
  public long learned() {
    return learned;
  }
}
