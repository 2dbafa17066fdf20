package dev.auramoe.snn;

/**
 * Counted arithmetic: multiply-accumulates on real values and accumulates (synaptic operations,
 * one per spike per weight it adds). Doubles, so that per-sample averages keep their fractions.
 *
 * @param macs multiply-accumulates, finite and &gt;= 0
 * @param accumulates accumulates, finite and &gt;= 0
 */
public record Operations(double macs, double accumulates) {

  /** Nothing counted. */
  public static final Operations NONE = new Operations(0, 0);

  /** Validates the counts. */
  public Operations {
    if (!(macs >= 0) || !Double.isFinite(macs) || !(accumulates >= 0) || !Double.isFinite(accumulates)) {
      throw new IllegalArgumentException("operation counts must be finite and >= 0, got " + macs + " MACs and "
          + accumulates + " accumulates");
    }
  }

  /** Multiply-accumulates only. */
  public static Operations macs(double n) {
    return new Operations(n, 0);
  }

  /** Accumulates only. */
  public static Operations accumulates(double n) {
    return new Operations(0, n);
  }

  /** The sum. */
  public Operations plus(Operations o) {
    return new Operations(macs + o.macs, accumulates + o.accumulates);
  }

  /** Divided by a number of samples. */
  public Operations per(double samples) {
    if (!(samples > 0)) {
      throw new IllegalArgumentException("samples must be > 0, got " + samples);
    }
    return new Operations(macs / samples, accumulates / samples);
  }
}
