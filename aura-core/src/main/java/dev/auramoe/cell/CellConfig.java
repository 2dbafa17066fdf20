package dev.auramoe.cell;

import java.util.Objects;

/**
 * Shape and integration knobs of the gating cell.
 *
 * <pre>
 * tau    = clamp(tauMin + softplus(V x + c), tauMin, tauMax)
 * dh/dt  = -h / tau + tanh(W h + U x + b)
 * h     &lt;- h + dt * dh/dt              (LIQUID, {@code unfolds} times per input)
 * </pre>
 *
 * @param hidden state size H (default 64)
 * @param type LIQUID (Euler) or CLOSED_FORM
 * @param tauMin smallest time constant (0.02); also the longest Euler step, which keeps
 *     |h_i| &lt;= max(|h_i|, tauMax) after every step
 * @param tauMax largest time constant (2.0)
 * @param dt Euler step (0.02); must not exceed tauMin
 * @param unfolds steps per input when no elapsed time is given (default 1); more steps let the
 *     state react faster per input at proportional cost
 * @param maxStepsPerInput cap on the Euler steps one irregular-time input may take (default 256);
 *     the rest of a longer gap is integrated by one closed-form step (the exact solution with the
 *     drive held constant), so long gaps cost a bounded amount and are not dropped
 * @param inputScale scale of the random input weights U (default 1)
 * @param recurrentScale scale of the random recurrent weights W (default 0.9; above ~1 the cell
 *     becomes chaotic, near 0 it only low-pass filters the input)
 */
public record CellConfig(int hidden, CellType type, float tauMin, float tauMax, float dt, int unfolds,
    int maxStepsPerInput, float inputScale, float recurrentScale) {

  /** The product defaults: H = 64, liquid, tau in [0.02, 2.0], dt = 0.02, one unfold. */
  public static final CellConfig DEFAULT =
      new CellConfig(64, CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 256, 1f, 0.9f);

  /** Validates. */
  public CellConfig {
    Objects.requireNonNull(type, "type");
    if (hidden <= 0) {
      throw new IllegalArgumentException("hidden must be > 0, got " + hidden);
    }
    if (!(tauMin > 0) || !(tauMax >= tauMin) || !Float.isFinite(tauMax)) {
      throw new IllegalArgumentException("need 0 < tauMin <= tauMax < inf, got " + tauMin + ", " + tauMax);
    }
    if (!(dt > 0) || dt > tauMin) {
      throw new IllegalArgumentException("dt must lie in (0, tauMin] = (0, " + tauMin + "] for a bounded state, got " + dt);
    }
    if (unfolds <= 0) {
      throw new IllegalArgumentException("unfolds must be > 0, got " + unfolds);
    }
    if (maxStepsPerInput <= 0) {
      throw new IllegalArgumentException("maxStepsPerInput must be > 0, got " + maxStepsPerInput);
    }
    if (!(inputScale >= 0) || !Float.isFinite(inputScale) || !(recurrentScale >= 0) || !Float.isFinite(recurrentScale)) {
      throw new IllegalArgumentException("weight scales must be finite and >= 0");
    }
  }

  /** Copy with another hidden size. */
  public CellConfig withHidden(int h) {
    return new CellConfig(h, type, tauMin, tauMax, dt, unfolds, maxStepsPerInput, inputScale, recurrentScale);
  }

  /** Copy with another cell type. */
  public CellConfig withType(CellType t) {
    return new CellConfig(hidden, t, tauMin, tauMax, dt, unfolds, maxStepsPerInput, inputScale, recurrentScale);
  }

  /** Copy with another number of unfolds. */
  public CellConfig withUnfolds(int u) {
    return new CellConfig(hidden, type, tauMin, tauMax, dt, u, maxStepsPerInput, inputScale, recurrentScale);
  }

  /** Copy with other weight scales. */
  public CellConfig withScales(float input, float recurrent) {
    return new CellConfig(hidden, type, tauMin, tauMax, dt, unfolds, maxStepsPerInput, input, recurrent);
  }
}
