package dev.auramoe.routing;

/**
 * A reusable, mutable holder for routing results, so that the hot path allocates nothing. Create one
 * per thread with {@code model.newRouteBuffer()} and pass it to every call; after a call its fields
 * describe that call. Not thread-safe.
 *
 * <pre>{@code
 * RouteBuffer buf = model.newRouteBuffer();
 * for (float[] x : inputs) {
 *   model.route("sensor-7", x, buf);
 *   use(buf.expert(0), buf.weight(0));
 * }
 * }</pre>
 */
public final class RouteBuffer {

  final int[] experts;
  final float[] weights;
  final float[] probabilities;
  int k;
  float temperature;
  int steps;

  /**
   * @param maxK the largest number of experts a call may choose
   * @param experts the number of experts of the model
   */
  public RouteBuffer(int maxK, int experts) {
    this.experts = new int[maxK];
    this.weights = new float[maxK];
    this.probabilities = new float[experts];
  }

  /** Number of chosen experts. */
  public int k() {
    return k;
  }

  /** The i-th chosen expert (best selection score first). */
  public int expert(int i) {
    return experts[checkIndex(i)];
  }

  /** Mixing weight of the i-th chosen expert. */
  public float weight(int i) {
    return weights[checkIndex(i)];
  }

  /** The router's probability of expert e. */
  public float probability(int e) {
    return probabilities[e];
  }

  /** Effective temperature of the call. */
  public float temperature() {
    return temperature;
  }

  /** Integration steps of the call. */
  public int steps() {
    return steps;
  }

  /** Live arrays for the engine (the first {@link #k()} entries are valid). */
  public int[] expertsArray() {
    return experts;
  }

  /** Live weights array (the first {@link #k()} entries are valid). */
  public float[] weightsArray() {
    return weights;
  }

  /** Live probabilities array. */
  public float[] probabilitiesArray() {
    return probabilities;
  }

  /** Sets the scalar fields (engine use). */
  public void set(int chosen, float temp, int stepCount) {
    this.k = chosen;
    this.temperature = temp;
    this.steps = stepCount;
  }

  /** An immutable copy. */
  public RoutingDecision toDecision() {
    return new RoutingDecision(java.util.Arrays.copyOf(experts, k), java.util.Arrays.copyOf(weights, k),
        probabilities, temperature, steps);
  }

  private int checkIndex(int i) {
    return java.util.Objects.checkIndex(i, k);
  }
}
