package dev.auramoe.text;

import java.util.Objects;

/**
 * A named destination of a text router and what a call to it costs.
 *
 * @param name the expert's name, 1 to 128 characters, no control characters; unique in a router
 * @param costPerCall the price of one call (any currency; finite, &gt;= 0): what the cost-aware mode trades
 *     against
 * @param latencyMillis the expected latency of one call in milliseconds (finite, &gt;= 0)
 * @param energyJoules the expected energy of one call in joules (finite, &gt;= 0)
 */
public record ExpertDescriptor(String name, double costPerCall, double latencyMillis, double energyJoules) {

  /** The longest name. */
  public static final int MAX_NAME = 128;

  /** Validates. */
  public ExpertDescriptor {
    Objects.requireNonNull(name, "name");
    if (name.isBlank() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("expert name must be 1 to " + MAX_NAME
          + " characters, not blank, without control characters: '" + name + "'");
    }
    check(costPerCall, "costPerCall", name);
    check(latencyMillis, "latencyMillis", name);
    check(energyJoules, "energyJoules", name);
  }

  /** An expert with nothing known of its costs (all 0). */
  public static ExpertDescriptor named(String name) {
    return new ExpertDescriptor(name, 0, 0, 0);
  }

  private static void check(double v, String what, String name) {
    if (!(v >= 0) || !Double.isFinite(v)) {
      throw new IllegalArgumentException(what + " of expert '" + name + "' must be finite and >= 0, got " + v);
    }
  }
}
