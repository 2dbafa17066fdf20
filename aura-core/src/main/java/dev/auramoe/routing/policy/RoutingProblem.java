package dev.auramoe.routing.policy;

import java.util.Objects;

/**
 * One routing call for a {@link RoutingPolicy}: a window of tokens, the router's probabilities for
 * each, the balancer's selection bias, and which tokens are real (padding and masked tokens are
 * never routed and never counted as load).
 *
 * <p>Reusable: {@link #set} points it at the caller's arrays without copying. Not thread-safe.
 */
public final class RoutingProblem {

  int tokens;
  int experts;
  float[] probs;
  float[] bias;
  boolean[] valid;

  /** An empty problem; point it at a window with {@link #set}. */
  public RoutingProblem() {}

  /**
   * Points the problem at the caller's arrays (not copied, not modified by policies).
   *
   * @param probs {@code tokens * experts} probabilities, row per token, each row summing to 1
   * @param bias selection bias per expert (changes which experts are chosen, never the weights), or
   *     null for none
   * @param valid which tokens are real, or null when all are
   * @return this
   */
  public RoutingProblem set(int tokens, int experts, float[] probs, float[] bias, boolean[] valid) {
    if (tokens < 0 || experts <= 0) {
      throw new IllegalArgumentException("need tokens >= 0 and experts > 0, got " + tokens + ", " + experts);
    }
    Objects.requireNonNull(probs, "probs");
    if ((long) tokens * experts > probs.length) {
      throw new IllegalArgumentException("probs holds " + probs.length + " values, fewer than tokens * experts = "
          + (long) tokens * experts);
    }
    if (bias != null && bias.length < experts) {
      throw new IllegalArgumentException("bias must hold one value per expert");
    }
    if (valid != null && valid.length < tokens) {
      throw new IllegalArgumentException("valid must hold one flag per token");
    }
    this.tokens = tokens;
    this.experts = experts;
    this.probs = probs;
    this.bias = bias;
    this.valid = valid;
    return this;
  }

  /** Tokens in the window. */
  public int tokens() {
    return tokens;
  }

  /** Experts. */
  public int experts() {
    return experts;
  }

  /** Probability of expert e for token t. */
  public float probability(int t, int e) {
    return probs[t * experts + e];
  }

  /** Whether token t is real (not padding or masked). */
  public boolean isValid(int t) {
    return valid == null || valid[t];
  }

  /** Selection score: probability plus bias. */
  float score(int t, int e) {
    float p = probs[t * experts + e];
    return bias == null ? p : p + bias[e];
  }

  /** Number of real tokens. */
  public int validTokens() {
    if (valid == null) {
      return tokens;
    }
    int n = 0;
    for (int t = 0; t < tokens; t++) {
      if (valid[t]) {
        n++;
      }
    }
    return n;
  }
}
