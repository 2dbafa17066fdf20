package dev.auramoe.cli.learn;

import dev.auramoe.Credit;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cli.stream.DriftBench;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.drift.Adwin;
import dev.auramoe.stream.learn.StreamLearner;
import dev.auramoe.stream.learn.StreamLearner.DriftResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Overrides of the mixture's configuration in {@code aura learn-bench --mixture KEY=VALUE,...}, so that a
 * run with other knobs than the defaults can be repeated exactly. Every key left out keeps the default of
 * {@link LearnBench#defaultMixture}. Keys:
 *
 * <ul>
 *   <li>{@code experts} (also the two gates' k), {@code topK}, {@code hidden} (a number, or {@code auto}:
 *       the encoded inputs, at least 8 and at most 32), {@code mu}, {@code routerRate},
 *       {@code temperature};
 *   <li>{@code credit}: {@code gate} or {@code responsibility};
 *   <li>{@code balance}: {@code on} or {@code off}; {@code gamma} and {@code cap}: its step and bias cap;
 *   <li>{@code drift}: {@code on} (ADWIN on rises) or {@code off} (no detector, the default);
 *       {@code response}: {@code none}, {@code boost} or {@code fresh};
 *   <li>{@code beta} and {@code alpha}: the weight and rate of the experts' recent errors in the
 *       router's logits ({@link StreamLearner.Builder#recentErrors}; beta 0 turns them off).
 * </ul>
 *
 * @param values the keys given, in order (empty: the defaults)
 */
public record MixtureOptions(Map<String, String> values) {

  /** No override: the defaults. */
  public static final MixtureOptions DEFAULTS = new MixtureOptions(Map.of());

  private static final java.util.Set<String> KEYS = java.util.Set.of("experts", "topK", "hidden", "mu",
      "routerRate", "temperature", "credit", "balance", "gamma", "cap", "drift", "response", "beta", "alpha");

  /** Copies the map. */
  public MixtureOptions {
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /**
   * Parses {@code KEY=VALUE,...}; an empty text is the defaults.
   *
   * @throws IllegalArgumentException naming the entry that is malformed, unknown or out of range
   */
  public static MixtureOptions parse(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    if (text != null && !text.isBlank()) {
      for (String part : text.split(",")) {
        int eq = part.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--mixture entry '" + part + "' is not KEY=VALUE");
        }
        String key = part.substring(0, eq).trim();
        if (!KEYS.contains(key)) {
          throw new IllegalArgumentException("--mixture key '" + key + "' is unknown; known: "
              + new java.util.TreeSet<>(KEYS));
        }
        m.put(key, part.substring(eq + 1).trim());
      }
    }
    MixtureOptions o = new MixtureOptions(m);
    // Build once on a small schema so that every bad value is refused before any stream runs.
    o.builder(new Schema("check", java.util.List.of(dev.auramoe.stream.data.Attribute.numeric("x"),
        dev.auramoe.stream.data.Attribute.numeric("y")), 1)).build();
    return o;
  }

  /** The experts of the mixture (and of the gates) for this schema. */
  int experts() {
    return intValue("experts", dev.auramoe.Defaults.EXPERTS);
  }

  /** The learner with these overrides. */
  public StreamLearner build(Schema schema) {
    return builder(schema).build();
  }

  private StreamLearner.Builder builder(Schema schema) {
    StreamLearner.Builder b = StreamLearner.builder(schema);
    if (!"off".equals(values.getOrDefault("drift", "off"))) {
      if (!"on".equals(values.get("drift"))) {
        throw new IllegalArgumentException("--mixture drift must be on or off, got " + values.get("drift"));
      }
      b.driftDetector(() -> Adwin.increasesOnly(DriftBench.ADWIN_DELTA));
    }
    if (values.containsKey("experts")) {
      b.experts(experts());
    }
    if (values.containsKey("topK")) {
      b.topK(intValue("topK", dev.auramoe.Defaults.TOP_K));
    }
    if (values.containsKey("hidden")) {
      String h = values.get("hidden");
      int d = schema.size() - 1;
      b.hidden("auto".equals(h) ? Math.max(8, Math.min(32, d)) : intValue("hidden", dev.auramoe.Defaults.HIDDEN));
    }
    if (values.containsKey("mu")) {
      b.mu(doubleValue("mu"));
    }
    if (values.containsKey("routerRate")) {
      b.routerLearningRate((float) doubleValue("routerRate"));
    }
    if (values.containsKey("temperature")) {
      b.temperature((float) doubleValue("temperature"));
    }
    if (values.containsKey("credit")) {
      b.credit(switch (values.get("credit")) {
        case "gate" -> Credit.GATE_WEIGHT;
        case "responsibility" -> Credit.RESPONSIBILITY;
        default -> throw new IllegalArgumentException("--mixture credit must be gate or responsibility, got "
            + values.get("credit"));
      });
    }
    BalanceConfig bal = BalanceConfig.DEFAULT;
    if (values.containsKey("balance")) {
      bal = switch (values.get("balance")) {
        case "on" -> bal;
        case "off" -> BalanceConfig.OFF;
        default -> throw new IllegalArgumentException("--mixture balance must be on or off, got "
            + values.get("balance"));
      };
    }
    if (values.containsKey("gamma")) {
      bal = bal.withGamma(doubleValue("gamma"));
    }
    if (values.containsKey("cap")) {
      bal = bal.withBiasCap(doubleValue("cap"));
    }
    b.balance(bal);
    if (values.containsKey("response")) {
      b.driftResponse(switch (values.get("response")) {
        case "none" -> DriftResponse.NONE;
        case "boost" -> DriftResponse.BOOST_ROUTER;
        case "fresh" -> DriftResponse.FRESH_EXPERT;
        default -> throw new IllegalArgumentException("--mixture response must be none, boost or fresh, got "
            + values.get("response"));
      });
    }
    if (values.containsKey("beta") || values.containsKey("alpha")) {
      // A key left out keeps the default of this stream's target (recent errors off for classes).
      dev.auramoe.RecentErrors d = dev.auramoe.Defaults.recentErrors(schema.isClassification());
      b.recentErrors(new dev.auramoe.RecentErrors(
          values.containsKey("beta") ? (float) doubleValue("beta") : d.weight(),
          values.containsKey("alpha") ? (float) doubleValue("alpha") : dev.auramoe.RecentErrors.DEFAULT.rate()));
    }
    return b;
  }

  private int intValue(String key, int dflt) {
    String v = values.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--mixture " + key + " must be an integer, got '" + v + "'");
    }
  }

  private double doubleValue(String key) {
    String v = values.get(key);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--mixture " + key + " must be a number, got '" + v + "'");
    }
  }

  /** The overrides as given, {@code KEY=VALUE,...} ("defaults" when none). */
  @Override
  public String toString() {
    if (values.isEmpty()) {
      return "defaults";
    }
    StringBuilder s = new StringBuilder();
    values.forEach((k, v) -> s.append(s.isEmpty() ? "" : ",").append(k).append('=').append(v));
    return s.toString();
  }
}
