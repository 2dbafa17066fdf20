package dev.auramoe.routing;

import java.util.Arrays;

/**
 * An immutable record of one routing decision.
 *
 * @param experts chosen expert indices, best selection score first (length k)
 * @param weights mixing weights of the chosen experts, finite, summing to 1
 * @param probabilities the router's full softmax over all experts (length E)
 * @param temperature the effective softmax temperature used (base temperature / attention gain)
 * @param steps integration steps the cell took for this input
 */
public record RoutingDecision(int[] experts, float[] weights, float[] probabilities, float temperature, int steps) {

  /** Defensive copies. */
  public RoutingDecision {
    experts = experts.clone();
    weights = weights.clone();
    probabilities = probabilities.clone();
  }

  @Override
  public int[] experts() {
    return experts.clone();
  }

  @Override
  public float[] weights() {
    return weights.clone();
  }

  @Override
  public float[] probabilities() {
    return probabilities.clone();
  }

  /** Number of chosen experts. */
  public int k() {
    return experts.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RoutingDecision d && Arrays.equals(experts, d.experts) && Arrays.equals(weights, d.weights)
        && Arrays.equals(probabilities, d.probabilities) && Float.compare(temperature, d.temperature) == 0
        && steps == d.steps;
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(experts) + Arrays.hashCode(weights);
  }

  @Override
  public String toString() {
    return "RoutingDecision[experts=" + Arrays.toString(experts) + ", weights=" + Arrays.toString(weights)
        + ", temperature=" + temperature + ", steps=" + steps + "]";
  }
}
