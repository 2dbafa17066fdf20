package dev.auramoe.server.model;

import dev.auramoe.experts.Expert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.RlsExpert;
import java.util.regex.Pattern;

/**
 * An expert a client adds to a model ({@code POST /v1/models/{name}/experts}), as an EXPERT_ADD
 * operation logs it.
 *
 * @param name unique within the model: 1 to 64 characters of {@code A-Z a-z 0-9 . _ -}, starting
 *     with a letter or digit
 * @param kind {@code nlms} (a normalised LMS filter; uses {@code mu}) or {@code rls} (recursive
 *     least squares; uses {@code lambda} and {@code delta}, and holds an (inputDim+1)^2 matrix)
 * @param mu the NLMS step in (0, 2)
 * @param lambda the RLS forgetting factor in (0, 1]
 * @param delta the RLS initial correlation scale: P starts at I / delta, finite and &gt; 0
 */
public record ExpertSpec(String name, String kind, double mu, double lambda, double delta) {

  /** Default RLS forgetting factor. */
  public static final double DEFAULT_LAMBDA = 0.99;
  /** Default RLS initial scale. */
  public static final double DEFAULT_DELTA = 1.0;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /**
   * Checks an expert name's form.
   *
   * @throws Refusal INVALID when it is missing or malformed
   */
  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw Refusal.invalid("expert name must be 1 to 64 characters of A-Z a-z 0-9 . _ - starting with a"
          + " letter or digit");
    }
  }

  /**
   * Checks the name and the kind. The kind's parameters are checked by the expert's constructor
   * ({@link #build}), against the float values the expert will hold.
   *
   * @throws Refusal INVALID naming what is wrong
   */
  public void validate() {
    checkName(name);
    if (!"nlms".equals(kind) && !"rls".equals(kind)) {
      throw Refusal.invalid("expert kind must be 'nlms' or 'rls', got "
          + (kind == null ? "nothing" : "'" + kind + "'"));
    }
  }


  /**
   * Checks that a request names only parameters the kind uses: {@code mu} for {@code nlms},
   * {@code lambda} and {@code delta} for {@code rls}. A parameter of the other kind would be
   * silently ignored, so it is refused instead.
   *
   * @param kind the requested kind; an unknown one is left for {@link #validate} to refuse
   * @param given the parameter names the request carries (other fields are ignored here)
   * @throws Refusal INVALID naming the parameter and the kind
   */
  public static void checkParametersApply(String kind, java.util.Collection<String> given) {
    if (!"nlms".equals(kind) && !"rls".equals(kind)) {
      return;
    }
    java.util.List<String> uses = "rls".equals(kind) ? java.util.List.of("lambda", "delta") : java.util.List.of("mu");
    for (String p : java.util.List.of("mu", "lambda", "delta")) {
      if (given.contains(p) && !uses.contains(p)) {
        throw Refusal.invalid("'" + p + "' does not apply to an expert of kind '" + kind + "', which takes "
            + String.join(" and ", uses));
      }
    }
  }

  /**
   * Float parameters the expert will hold in a model of this shape, computed from the shape alone
   * (an RLS expert's matrix is never allocated to count it): weights and bias, plus RLS's
   * correlation matrix.
   */
  public long parameters(int inputDim, int outputDim) {
    return "rls".equals(kind) ? RlsExpert.parameterCount(inputDim, outputDim)
        : NlmsExpert.parameterCount(inputDim, outputDim);
  }

  /**
   * Builds the expert; call {@link #validate} first.
   *
   * @throws IllegalArgumentException for a parameter out of range (mu, lambda, delta)
   */
  public Expert build(int inputDim, int outputDim) {
    return switch (kind) {
      case "nlms" -> new NlmsExpert(name, inputDim, outputDim, mu);
      case "rls" -> new RlsExpert(name, inputDim, outputDim, lambda, delta);
      default -> throw new IllegalStateException("validate first: kind " + kind);
    };
  }
}
