package dev.auramoe.routing.diagnostics;

/**
 * A snapshot of {@link RoutingDiagnostics}.
 *
 * @param tokens tokens recorded since creation
 * @param windowLoad each expert's share of the slots in the last full window (or the partial
 *     window when none is full), summing to 1 when anything was routed
 * @param averageLoad the moving average of each expert's share of slots
 * @param maxOverMean max over mean of the window load (1 = even)
 * @param coefficientOfVariation standard deviation over mean of the window load
 * @param routingEntropy mean entropy of the router's probabilities per token, in bits (0 = sure,
 *     log2(E) = uniform)
 * @param meanExpertsPerToken mean real experts per token
 * @param effectiveTemperature the temperature T for which softmax(log(mean probabilities) / T)
 *     has the entropy of the observed load (1 = load follows the router; larger = load flatter
 *     than the router, e.g. from balancing; smaller = load more concentrated); NaN when undefined
 * @param stickiness fraction of consecutive tokens of a segment whose expert sets are identical
 * @param cacheHitRate hit rate of an LRU cache of experts holding twice the mean active experts
 * @param specialisation label x expert slot counts (empty when no labels were given)
 * @param mutualInformation I(label; expert) in bits from {@code specialisation}
 */
public record RoutingStats(long tokens, double[] windowLoad, double[] averageLoad, double maxOverMean,
    double coefficientOfVariation, double routingEntropy, double meanExpertsPerToken, double effectiveTemperature,
    double stickiness, double cacheHitRate, long[][] specialisation, double mutualInformation) {}
