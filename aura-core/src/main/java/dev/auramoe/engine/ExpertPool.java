package dev.auramoe.engine;

import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyMeter;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.routing.RouteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The experts of a model: named, in index order, each seen also as an {@link AdaptiveExpert} when it
 * learns. Mixes the chosen experts' predictions (metering their MACs), keeps each chosen expert's
 * own output for the learn step, and lets the chosen adaptive experts learn from it. Not
 * thread-safe: the model calls it under its lock.
 */
public final class ExpertPool {

  private final Expert[] experts;
  private final AdaptiveExpert[] adaptive;
  private final int out;
  /** Each chosen expert's own prediction for the current input, by slot. */
  private final float[][] outputs;
  /** Output of an expert that was not chosen, when every expert's error is wanted. */
  private final float[] spare;

  /**
   * @throws IllegalArgumentException when an expert's shape differs from the mixture's or two
   *     share a name
   */
  ExpertPool(List<Expert> list, int in, int out) {
    int n = list.size();
    Set<String> names = new HashSet<>();
    this.experts = new Expert[n];
    this.adaptive = new AdaptiveExpert[n];
    for (int i = 0; i < n; i++) {
      Expert e = Objects.requireNonNull(list.get(i), "expert " + i);
      if (e.inputDim() != in || e.outputDim() != out) {
        throw new IllegalArgumentException("expert '" + e.name() + "' is " + e.inputDim() + " -> " + e.outputDim()
            + " but the mixture is " + in + " -> " + out);
      }
      if (!names.add(e.name())) {
        throw new IllegalArgumentException("two experts are named '" + e.name() + "'");
      }
      experts[i] = e;
      adaptive[i] = e instanceof AdaptiveExpert a ? a : null;
    }
    this.out = out;
    this.outputs = new float[n][out];
    this.spare = new float[out];
  }

  public int size() {
    return experts.length;
  }

  /** The expert at index i: the live object. */
  public Expert get(int i) {
    return experts[i];
  }

  /** The expert at index i when it learns, else null. */
  AdaptiveExpert adaptive(int i) {
    return adaptive[i];
  }

  /** Names in index order. */
  public List<String> names() {
    List<String> l = new ArrayList<>(experts.length);
    for (Expert e : experts) {
      l.add(e.name());
    }
    return l;
  }

  /** The index of a named expert; {@link NoSuchElementException} when there is none. */
  public int index(String name) {
    for (int i = 0; i < experts.length; i++) {
      if (experts[i].name().equals(name)) {
        return i;
      }
    }
    throw new NoSuchElementException("no expert named '" + name + "'");
  }

  /** Copies of every expert, learned state included ({@link Expert#copy()}), for a new model. */
  public List<Expert> copies() {
    List<Expert> l = new ArrayList<>(experts.length + 1);
    for (Expert e : experts) {
      l.add(e.copy());
    }
    return l;
  }

  /** Resets expert e's learned state; a frozen expert keeps its function. */
  void reset(int e) {
    if (adaptive[e] != null) {
      adaptive[e].reset();
    }
  }

  /** Slot j's own prediction from the last {@link #mix}. */
  float[] output(int j) {
    return outputs[j];
  }

  /**
   * {@code yHat = sum_j w_j expert_j(x)} over the experts routed in {@code b}, keeping each one's
   * output by slot; meters the experts' MACs. When the float mixture leaves float range it is mixed
   * again in double and saturated ({@link #saturate}).
   */
  void mix(KernelSupport k, float[] x, RouteBuffer b, float[] yHat, EnergyMeter meter) {
    java.util.Arrays.fill(yHat, 0, out, 0f);
    int[] chosen = b.expertsArray();
    float[] w = b.weightsArray();
    long macs = 0;
    int kk = b.k();
    for (int j = 0; j < kk; j++) {
      Expert e = experts[chosen[j]];
      float[] o = outputs[j];
      e.predict(x, o);
      macs += e.predictMacs();
      for (int i = 0; i < out; i++) {
        yHat[i] += w[j] * o[i];
      }
    }
    meter.add(Component.EXPERTS, macs + (long) kk * out);
    if (!k.allFinite(yHat, 0, out)) {
      saturate(chosen, w, kk, yHat);
    }
  }

  /**
   * The slow path of {@link #mix} when the float mixture left float range: each output is mixed
   * again in double from the experts' outputs (saturated at +-Float.MAX_VALUE, as the built-in
   * experts' own are) and saturated in turn.
   *
   * @throws IllegalStateException when an expert predicted NaN (a user's expert; the built-in ones
   *     never do for finite input)
   */
  private void saturate(int[] chosen, float[] w, int kk, float[] yHat) {
    for (int i = 0; i < out; i++) {
      double s = 0;
      for (int j = 0; j < kk; j++) {
        float o = outputs[j][i];
        if (o != o) {
          throw new IllegalStateException("expert '" + experts[chosen[j]].name() + "' predicted NaN at output " + i
              + " for a finite input");
        }
        s += (double) w[j] * Experts.saturate(o);
      }
      yHat[i] = Experts.saturate(s);
    }
  }

  /**
   * The squared error on y of every expert not among the {@code kk} chosen (whose outputs of the last
   * {@link #mix} are not touched), into {@code err[e]}; chosen experts' entries are left as they are.
   *
   * @return the MACs spent
   */
  long errorsOfOthers(int[] chosen, int kk, float[] x, float[] y, float[] err) {
    long macs = 0;
    for (int e = 0; e < experts.length; e++) {
      boolean isChosen = false;
      for (int j = 0; j < kk; j++) {
        isChosen |= chosen[j] == e;
      }
      if (isChosen) {
        continue;
      }
      experts[e].predict(x, spare);
      macs += experts[e].predictMacs() + out;
      err[e] = LearnPass.expertError(y, spare, out);
    }
    return macs;
  }

  /**
   * Each chosen adaptive expert learns from its own output of the last {@link #mix}, weighted by
   * {@code credit[j]}.
   *
   * @return the MACs spent
   */
  long learn(int[] chosen, int kk, float[] credit, float[] x, float[] y) {
    long macs = 0;
    for (int j = 0; j < kk; j++) {
      AdaptiveExpert a = adaptive[chosen[j]];
      if (a != null) {
        a.learn(x, y, outputs[j], credit[j]);
        macs += a.learnMacs();
      }
    }
    return macs;
  }
}
