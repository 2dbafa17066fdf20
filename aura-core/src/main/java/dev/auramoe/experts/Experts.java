package dev.auramoe.experts;

import java.util.function.Function;

/** Factories for the built-in experts, used by the builder and by snapshot loading. */
public final class Experts {

  private Experts() {}

  /** {@code n} NLMS filters named {@code prefix0..prefix(n-1)}. */
  public static java.util.List<Expert> nlms(String prefix, int n, int inputDim, int outputDim, double mu) {
    java.util.List<Expert> l = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(new NlmsExpert(prefix + i, inputDim, outputDim, mu));
    }
    return l;
  }

  /**
   * {@code n} softmax-regression classifiers named {@code prefix0..prefix(n-1)}, with eps 1e-3 and
   * the given leak.
   */
  public static java.util.List<Expert> softmax(String prefix, int n, int inputDim, int classes, double mu,
      double leak) {
    java.util.List<Expert> l = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(new SoftmaxExpert(prefix + i, inputDim, classes, mu, 1e-3, leak));
    }
    return l;
  }

  /**
   * Rebuilds an expert from what a snapshot records.
   *
   * @param frozen supplies the function of a {@code function} expert by name; may return null
   * @throws IllegalArgumentException for an unknown kind or bad hyper-parameters
   */
  public static Expert create(String kind, String name, int in, int out, double[] hyper,
      Function<String, FunctionExpert.VectorFunction> frozen) {
    switch (kind) {
      case "nlms":
        requireLength(hyper, 3, kind);
        return new NlmsExpert(name, in, out, hyper[0], hyper[1], hyper[2]);
      case "softmax":
        requireLength(hyper, 3, kind);
        return new SoftmaxExpert(name, in, out, hyper[0], hyper[1], hyper[2]);
      case "rls":
        requireLength(hyper, 2, kind);
        return new RlsExpert(name, in, out, hyper[0], hyper[1]);
      case "function":
        requireLength(hyper, 1, kind);
        FunctionExpert.VectorFunction f = frozen == null ? null : frozen.apply(name);
        if (f == null) {
          throw new IllegalArgumentException("snapshot has a frozen function expert '" + name
              + "': supply its function to the loader");
        }
        return new FunctionExpert(name, in, out, f, (long) hyper[0]);
      default:
        throw unknownKind(kind);
    }
  }

  /**
   * The number of state values ({@link AdaptiveExpert#state()}) an expert of a built-in kind and shape
   * holds, computed without building one, which allocates them: what a snapshot reader checks a
   * declared expert against the bytes it still has before {@link #create} allocates it.
   *
   * @return the count, 0 for a kind without learnable state ({@code function})
   * @throws IllegalArgumentException for a kind {@link #create} does not know, as it does
   */
  public static long stateLength(String kind, int in, int out) {
    return switch (kind) {
      // A softmax expert's state is that of the normalised linear filter it is, as an NLMS expert's.
      case "nlms", "softmax" -> NlmsExpert.parameterCount(in, out);
      case "rls" -> RlsExpert.parameterCount(in, out);
      case "function" -> 0;
      default -> throw unknownKind(kind);
    };
  }

  private static IllegalArgumentException unknownKind(String kind) {
    return new IllegalArgumentException("unknown expert kind '" + kind + "'");
  }

  private static void requireLength(double[] h, int n, String kind) {
    if (h.length != n) {
      throw new IllegalArgumentException(kind + " expert needs " + n + " hyper-parameters, got " + h.length);
    }
  }

  /**
   * The float nearest {@code v} within float range: values beyond it saturate at
   * {@code +-Float.MAX_VALUE} instead of becoming infinite. NaN stays NaN.
   */
  public static float saturate(double v) {
    return (float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, v));
  }

  /**
   * {@code w[base..base+in) . x + w[base+in]} in double precision, saturated to float range: the
   * slow path of a linear expert whose float sum overflowed (the terms are products of finite
   * floats, so the double sum is finite and exact enough to round to the right float).
   */
  static float saturatedLinear(float[] w, int base, float[] x, int in) {
    double s = w[base + in];
    for (int i = 0; i < in; i++) {
      s += (double) w[base + i] * x[i];
    }
    return saturate(s);
  }

  /**
   * Bound on one weight update {@code |delta|} below which {@code w + delta} cannot overflow for
   * any finite float w: it is under half an ulp of {@code Float.MAX_VALUE} (2^103), so the sum
   * rounds to at most MAX_VALUE. Larger updates are applied only if every weight stays finite.
   */
  static final double SAFE_UPDATE = 1e30;

  static void checkState(float[] s, int expected, String name) {
    if (s.length != expected) {
      throw new IllegalArgumentException("state of expert '" + name + "' must have " + expected
          + " values, got " + s.length);
    }
    for (int i = 0; i < s.length; i++) {
      if (!Float.isFinite(s[i])) {
        throw new IllegalArgumentException("state of expert '" + name + "' has a non-finite value at " + i);
      }
    }
  }
}
