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

  private ExpertSlot(AdaptiveExpert expert, long tokens) {
    this.expert = expert;
    this.tokens = tokens;
  }

  /** A replica that starts from {@code template}'s state (copied). */
  public static ExpertSlot of(Expert template) {
    if (!(template.copy() instanceof AdaptiveExpert a)) {
      throw new IllegalArgumentException("expert '" + template.name() + "' does not learn; the expert-parallel "
          + "layout needs adaptive experts");
    }
    return new ExpertSlot(a, 0);
  }

  /** A replica of {@code template}'s kind with a state and a token count from {@link #state} and {@link #tokens}. */
  public static ExpertSlot restore(Expert template, float[] state, long tokens) {
    ExpertSlot s = of(template);
    s.expert.setState(state);
    s.tokens = tokens;
    return s;
  }

  /** Predicts the token (before learning), then learns from it when it was chosen. */
  public ExpertOutput apply(Dispatch d) {
    float[] p = new float[d.y.length];
    expert.predict(d.x, p);
    if (d.learn) {
      expert.learn(d.x, d.y, p, d.weight);
    }
    tokens++;
    return new ExpertOutput(d.seq, d.shard, d.expert, p);
  }

  /** The expert's learnable state (a copy). */
  public float[] state() {
    return expert.state();
  }

  /** Tokens computed (learned or only predicted). */
  public long tokens() {
    return tokens;
  }
}
