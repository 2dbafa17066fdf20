package dev.auramoe.stream.eval;

/**
 * Mean absolute error and root mean squared error, cumulative and over a sliding window of the
 * last {@code window} instances. Allocation-free per instance.
 */
public final class RegressionMetrics {

  private long n;
  private double absSum;
  private double sqSum;
  private final int window;
  private final double[] ringAbs;
  private int ringNext;
  private int ringSize;
  private double wAbs;
  private double wSq;

  /** @param window sliding-window length, at least 1 */
  public RegressionMetrics(int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be >= 1, got " + window);
    }
    this.window = window;
    this.ringAbs = new double[window];
  }

  /** Adds one (actual, predicted) pair; both finite. */
  public void add(double actual, double predicted) {
    double e = Math.abs(actual - predicted);
    if (!Double.isFinite(e)) {
      throw new IllegalArgumentException("non-finite error: actual " + actual + ", predicted " + predicted);
    }
    n++;
    absSum += e;
    sqSum += e * e;
    if (ringSize == window) {
      double old = ringAbs[ringNext];
      wAbs -= old;
      wSq -= old * old;
    } else {
      ringSize++;
    }
    ringAbs[ringNext] = e;
    ringNext = (ringNext + 1) % window;
    wAbs += e;
    wSq += e * e;
  }

  public long instances() {
    return n;
  }

  public double mae() {
    return n == 0 ? Double.NaN : absSum / n;
  }

  public double rmse() {
    return n == 0 ? Double.NaN : Math.sqrt(sqSum / n);
  }

  public double windowMae() {
    return ringSize == 0 ? Double.NaN : Math.max(0, wAbs) / ringSize;
  }

  public double windowRmse() {
    return ringSize == 0 ? Double.NaN : Math.sqrt(Math.max(0, wSq) / ringSize);
  }
}
