package dev.auramoe.engine;

import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.math.VectorMath;
import dev.auramoe.routing.RouteBuffer;
import java.util.Objects;

/**
 * The model's checks of its callers' arguments, made before it takes its lock: wrong lengths, NaN
 * or infinite values, aliased buffers and buffers of another model raise an
 * {@link IllegalArgumentException} (a null argument a {@link NullPointerException}) naming what is
 * wrong, before anything is changed.
 */
public final class Arguments {

  private final KernelSupport k;
  private final int in;
  private final int out;
  private final int hidden;
  private final int experts;
  private final int topK;
  private final int width;

  public Arguments(ModelState m) {
    this.k = m.k;
    this.in = m.in;
    this.out = m.out;
    this.hidden = m.hidden;
    this.experts = m.experts;
    this.topK = m.topK;
    this.width = m.cell.width();
  }

  /** The arguments of a single route. */
  public void route(float[] x, float elapsed, RouteBuffer b) {
    input(x);
    elapsed(elapsed);
    buffer(b, false);
  }

  /** The arguments of a prediction ({@code b} may be null). */
  public void predict(float[] x, float[] yHat, RouteBuffer b) {
    input(x);
    prediction(yHat, x, null);
    buffer(b, true);
  }

  /** The arguments of a learn step ({@code b} may be null). */
  public void learn(float[] x, float elapsed, float[] y, float[] yHat, RouteBuffer b) {
    input(x);
    elapsed(elapsed);
    target(y);
    prediction(yHat, x, y);
    buffer(b, true);
  }

  /** An input of the model's input dimension, every value finite. */
  public void input(float[] x) {
    vector(x, in, "input x");
  }

  /** A target of the model's output dimension, every value finite. */
  public void target(float[] y) {
    vector(y, out, "target y");
  }

  /** A prediction buffer of the model's output dimension that is none of the others. */
  public void prediction(float[] yHat, float[] x, float[] y) {
    length(yHat, out, "prediction buffer");
    notAliased(yHat, x, "the input x");
    if (y != null) {
      notAliased(yHat, y, "the target y");
    }
  }

  /** The arguments of a direct router update: features h and x, one delta per expert, a bound &gt; 0. */
  public void teach(float[] h, float[] x, float[] delta, double maxChange) {
    vector(h, hidden, "router state h");
    input(x);
    vector(delta, experts, "delta");
    if (!(maxChange > 0)) {
      throw new IllegalArgumentException("maxChange must be > 0 (or infinite), got " + maxChange);
    }
  }

  /** A vector of length n, every value finite. */
  public void vector(float[] v, int n, String what) {
    VectorMath.requireFinite(v, n, what);
  }

  private static void notAliased(float[] yHat, float[] other, String what) {
    if (yHat == other) {
      throw new IllegalArgumentException("the prediction buffer must not be " + what + " (it is overwritten)");
    }
  }

  private static void length(float[] v, int n, String what) {
    Objects.requireNonNull(v, what);
    if (v.length != n) {
      throw new IllegalArgumentException(what + " must have length " + n + ", got " + v.length);
    }
  }

  /** Seconds since a stream's previous input: finite and &gt;= 0, or NaN for the default. */
  public static void elapsed(float elapsed) {
    if (elapsed == elapsed && !(elapsed >= 0 && Float.isFinite(elapsed))) {
      throw new IllegalArgumentException("elapsed time must be finite and >= 0 (or NaN for the default), got "
          + elapsed);
    }
  }

  /** A route buffer sized for this model (null passes when {@code optional}). */
  public void buffer(RouteBuffer b, boolean optional) {
    if (optional && b == null) {
      return;
    }
    Objects.requireNonNull(b, "route buffer");
    if (b.expertsArray().length < topK || b.probabilitiesArray().length != experts) {
      throw new IllegalArgumentException("route buffer is sized for another model; use newRouteBuffer()");
    }
  }

  /** The arguments of a batch route. */
  public void batch(float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    if (count < 0 || (long) count * Math.max(width, topK) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("batch size " + count + " is negative or too large for one call");
    }
    if ((long) count * in > xs.length) {
      throw new IllegalArgumentException("xs holds " + xs.length + " values, fewer than count * inputDim = "
          + (long) count * in);
    }
    for (int i = 0, n = k.allFinite(xs, 0, count * in) ? 0 : count * in; i < n; i++) {
      if (!Float.isFinite(xs[i])) {
        throw new IllegalArgumentException("input " + (i / in) + " has a non-finite value at index " + (i % in)
            + ": " + xs[i]);
      }
    }
    if (expertsOut.length < count * topK || weightsOut.length < count * topK) {
      throw new IllegalArgumentException("output arrays must hold count * k = " + count * topK + " values");
    }
  }

  /** The arguments of a many-stream route: a stream id per input, then those of a batch. */
  public void many(String[] streams, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    Objects.requireNonNull(xs, "xs");
    Objects.requireNonNull(expertsOut, "expertsOut");
    Objects.requireNonNull(weightsOut, "weightsOut");
    Objects.requireNonNull(streams, "streams");
    batch(xs, count, expertsOut, weightsOut);
    streamIds(streams, count);
  }

  /** The arguments of a many-stream learn: a stream id per input, inputs, targets and a prediction buffer. */
  public void learnMany(String[] streams, float[] xs, float[] ys, int count, float[] yHats) {
    Objects.requireNonNull(xs, "xs");
    Objects.requireNonNull(ys, "ys");
    Objects.requireNonNull(yHats, "yHats");
    if (count < 0 || (long) count * Math.max(Math.max(width, in), Math.max(hidden, out)) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("batch size " + count + " is negative or too large for one call");
    }
    streamIds(streams, count);
    if ((long) count * in > xs.length || (long) count * out > ys.length || (long) count * out > yHats.length) {
      throw new IllegalArgumentException("xs, ys and yHats must hold count * inputDim, count * outputDim and"
          + " count * outputDim values");
    }
    if (yHats == xs || yHats == ys) {
      throw new IllegalArgumentException("yHats must not alias xs or ys (it is overwritten)");
    }
    for (int t = 0; t < count; t++) {
      if (!(k.allFinite(xs, t * in, in) && k.allFinite(ys, t * out, out))) {
        throw new IllegalArgumentException("input or target " + t + " has a non-finite value");
      }
    }
  }

  /** One stream id per input: {@code streams[t]}, none null (whether each is open the model checks). */
  private static void streamIds(String[] streams, int count) {
    Objects.requireNonNull(streams, "streams");
    if (count >= 0 && streams.length < count) {
      throw new IllegalArgumentException("streams holds " + streams.length + " ids, fewer than count = " + count);
    }
    for (int t = 0; t < count; t++) {
      if (streams[t] == null) {
        throw new NullPointerException("streams[" + t + "] (the stream of input " + t + ") is null");
      }
    }
  }

  /** The arguments of a window route. */
  public void window(float[] xs, int count, boolean[] valid, Object assignment) {
    Objects.requireNonNull(assignment, "assignment");
    if (count < 0 || (long) count * Math.max(experts, in) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("window size " + count + " is negative or too large for one call");
    }
    if ((long) count * in > xs.length) {
      throw new IllegalArgumentException("xs holds " + xs.length + " values, fewer than count * inputDim = "
          + (long) count * in);
    }
    if (valid != null && valid.length < count) {
      throw new IllegalArgumentException("valid must hold one flag per input");
    }
    for (int t = 0; t < count; t++) {
      if ((valid == null || valid[t]) && !k.allFinite(xs, t * in, in)) {
        throw new IllegalArgumentException("input " + t + " of the window has a non-finite value");
      }
    }
  }

  /** The arguments of a window learn. */
  public void learnWindow(float[] xs, float[] ys, int count, boolean[] valid, Object assignment, float[] yHats) {
    Objects.requireNonNull(assignment, "assignment");
    if (count < 0 || (long) count * Math.max(Math.max(experts, in), Math.max(hidden, out)) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("window size " + count + " is negative or too large for one call");
    }
    if ((long) count * in > xs.length || (long) count * out > ys.length || (long) count * out > yHats.length) {
      throw new IllegalArgumentException("xs, ys and yHats must hold count * inputDim, count * outputDim and"
          + " count * outputDim values");
    }
    if (valid != null && valid.length < count) {
      throw new IllegalArgumentException("valid must hold one flag per input");
    }
    if (yHats == xs || yHats == ys) {
      throw new IllegalArgumentException("yHats must not alias xs or ys (it is overwritten)");
    }
    for (int t = 0; t < count; t++) {
      if ((valid == null || valid[t]) && !(k.allFinite(xs, t * in, in) && k.allFinite(ys, t * out, out))) {
        throw new IllegalArgumentException("input or target " + t + " of the window has a non-finite value");
      }
    }
  }
}
