package dev.auramoe.feedback;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.math.VectorMath;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A model's router taught directly, from labels and from feedback, with guard-rails.
 *
 * <p>A route whose outcome will be known later is {@linkplain #remember remembered}: the router's
 * features of the decision (the stream's state h after the route, and the input x), the experts it
 * chose and its probabilities, under a route id ({@code r1-<epoch>}, {@code r2-<epoch>}, ..., the epoch 8 hex digits drawn for each instance, so that no id is issued twice, not even across restarts). A {@linkplain #feedback
 * feedback} names the route, one of its chosen experts and a reward in [0, 1], the quality of that
 * expert's answer; the expert's logit moves toward the reward as a probability, by the model's delta
 * rule ({@link MixtureOfExperts#teachRouter}):
 * <pre>
 *   delta_e = reward - p_e     for the rewarded expert e, p the route's probabilities; 0 for the others
 * </pre>
 * A {@linkplain #learnLabel label} moves every logit toward the one-hot target instead
 * ({@code delta = onehot(label) - p}), with no bound: labels are trusted, feedback is not.
 *
 * <p>The guard-rails ({@link FeedbackRules}):
 * <ul>
 *   <li>each feedback changes the router's parameters by at most {@code maxStep} (Euclidean norm);
 *   <li>after each feedback the router lies within {@code maxDrift} of its anchor: farther, it is
 *       projected back onto that sphere along the line to the anchor;
 *   <li>each chosen expert of a route takes one feedback; a route waits {@code routeLifetime} and
 *       among the last {@code rememberedRoutes}, then expires;
 *   <li>{@link #freeze()} stops all learning through this object (feedback is still checked and
 *       recorded as received), and {@link #rollback()} restores the router's parameters to the anchor,
 *       bit for bit.
 * </ul>
 * Bad feedback (an unknown or expired route, an unknown expert or one the route did not choose, a
 * second feedback for the same expert, a reward outside [0, 1]) is refused with an exception that
 * says which, and changes nothing.
 *
 * <p>The anchor and rollback cover the router's parameters ({@link MixtureOfExperts#routerParameters()}),
 * not the experts or the streams. The model's expert set must not change while it is guarded. Calls
 * on one guarded router are serialised. Learn on the model only through the guarded router, or from
 * the same thread: the drift cap reads the router's parameters and writes them back projected in two
 * calls, and a change another thread makes in between would be overwritten. (The service and
 * {@code TextRouter} make every change of a model through one sequence.)
 */
public final class GuardedRouter {

  private final MixtureOfExperts model;
  private final Changes changes;
  private final FeedbackRules rules;
  private final InstantSource clock;
  private final LinkedHashMap<Long, Pending> pending = new LinkedHashMap<>();
  private final int experts;
  private long issued;
  /** This instance's run: 8 lowercase hex digits every route id ends with, so that no id is issued twice. */
  private final String epoch = String.format("%08x", java.util.concurrent.ThreadLocalRandom.current().nextInt());
  private float[] anchor;
  private boolean frozen;

  /** A route waiting for feedback. */
  private record Pending(float[] h, float[] x, int[] chosen, float[] probabilities, Instant at, boolean[] answered) {

    boolean allAnswered() {
      for (boolean a : answered) {
        if (!a) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * How the guarded router's decisions reach the model: by default straight to its
   * {@link MixtureOfExperts#teachRouter} and {@link MixtureOfExperts#setRouterParameters}. A service that
   * journals every change passes its own, which records each change it applies to the model and logs
   * them before it answers (the service logs a feedback's step and its projection as one record), so
   * that a replay of the log repeats the router's changes exactly, without the guard.
   */
  public interface Changes {

    /** Applies {@code model.teachRouter(h, x, delta, maxChange)} and returns what it returns. */
    double teach(float[] h, float[] x, float[] delta, double maxChange);

    /** Applies {@code model.setRouterParameters(p)}. */
    void setRouterParameters(float[] p);

    /** The changes applied to the model directly. */
    static Changes direct(MixtureOfExperts model) {
      return new Changes() {
        @Override
        public double teach(float[] h, float[] x, float[] delta, double maxChange) {
          return model.teachRouter(h, x, delta, maxChange);
        }

        @Override
        public void setRouterParameters(float[] p) {
          model.setRouterParameters(p);
        }
      };
    }
  }

  /** Guards a model's router with these rules, on the system clock; the anchor is the router now. */
  public GuardedRouter(MixtureOfExperts model, FeedbackRules rules) {
    this(model, rules, InstantSource.system());
  }

  /** As {@link #GuardedRouter(MixtureOfExperts, FeedbackRules)}, with the clock that ages routes. */
  public GuardedRouter(MixtureOfExperts model, FeedbackRules rules, InstantSource clock) {
    this(model, rules, clock, Changes.direct(model));
  }

  /** As {@link #GuardedRouter(MixtureOfExperts, FeedbackRules, InstantSource)}, with the changes' path to the model. */
  public GuardedRouter(MixtureOfExperts model, FeedbackRules rules, InstantSource clock, Changes changes) {
    this.model = Objects.requireNonNull(model, "model");
    this.changes = Objects.requireNonNull(changes, "changes");
    this.rules = Objects.requireNonNull(rules, "rules");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.experts = model.expertCount();
    this.anchor = model.routerParameters();
  }

  /** The model guarded. */
  public MixtureOfExperts model() {
    return model;
  }

  /** The rules in force. */
  public FeedbackRules rules() {
    return rules;
  }

  /**
   * Remembers a route for later feedback and returns its id. The arrays are copied.
   *
   * @param h the stream's state after the route ({@link MixtureOfExperts#state(String)})
   * @param x the route's input
   * @param chosen the chosen experts, {@code chosen[0..k)}, distinct
   * @param probabilities the router's probabilities of the route, one per expert
   * @throws IllegalArgumentException for wrong lengths, non-finite values or bad expert indices
   */
  public synchronized String remember(float[] h, float[] x, int[] chosen, int k, float[] probabilities) {
    VectorMath.requireFinite(h, model.hidden(), "router state h");
    VectorMath.requireFinite(x, model.inputDim(), "input x");
    VectorMath.requireFinite(probabilities, experts, "probabilities");
    Objects.checkFromToIndex(0, k, chosen.length);
    if (k == 0) {
      throw new IllegalArgumentException("a route must choose at least one expert");
    }
    int[] c = Arrays.copyOf(chosen, k);
    for (int i = 0; i < k; i++) {
      Objects.checkIndex(c[i], experts);
      for (int j = 0; j < i; j++) {
        if (c[j] == c[i]) {
          throw new IllegalArgumentException("expert " + c[i] + " is chosen twice");
        }
      }
    }
    Instant now = clock.instant();
    expire(now);
    long id = ++issued;
    pending.put(id, new Pending(h.clone(), x.clone(), c, probabilities.clone(), now, new boolean[k]));
    while (pending.size() > rules.rememberedRoutes()) {
      Iterator<Long> it = pending.keySet().iterator();
      it.next();
      it.remove();
    }
    return "r" + id + "-" + epoch;
  }

  /**
   * Teaches the router that {@code label} was the right expert for a route with these features and
   * probabilities: {@code delta = onehot(label) - p}, unbounded. Nothing changes when frozen.
   *
   * @return the norm of the change made
   */
  public synchronized double learnLabel(float[] h, float[] x, float[] probabilities, int label) {
    // checked here, not only by the model: a journaling Changes logs what it is given before it applies it
    VectorMath.requireFinite(h, model.hidden(), "router state h");
    VectorMath.requireFinite(x, model.inputDim(), "input x");
    VectorMath.requireFinite(probabilities, experts, "probabilities");
    Objects.checkIndex(label, experts);
    if (frozen) {
      return 0;
    }
    float[] delta = new float[experts];
    for (int e = 0; e < experts; e++) {
      delta[e] = (e == label ? 1f : 0f) - probabilities[e];
    }
    return changes.teach(h, x, delta, Double.POSITIVE_INFINITY);
  }

  /** {@link #feedback(String, int, double)} for a named expert. */
  public synchronized FeedbackOutcome feedback(String routeId, String expert, double reward) {
    Objects.requireNonNull(expert, "expert");
    int e;
    try {
      e = model.expertIndex(expert);
    } catch (NoSuchElementException ex) {
      throw new IllegalArgumentException("unknown expert '" + expert + "'; the experts are " + model.expertNames());
    }
    return feedback(routeId, e, reward);
  }

  /**
   * A reward in [0, 1] for expert {@code expert} of a remembered route: the guarded update described
   * above.
   *
   * @throws IllegalArgumentException for a reward outside [0, 1] or not finite, an expert index out of
   *     range or one the route did not choose
   * @throws NoSuchElementException for a route id that was never issued, or whose route expired
   * @throws IllegalStateException for a second feedback for the same expert of a route
   */
  public synchronized FeedbackOutcome feedback(String routeId, int expert, double reward) {
    if (!(reward >= 0 && reward <= 1)) {
      throw new IllegalArgumentException("reward must lie in [0, 1], got " + reward);
    }
    Objects.checkIndex(expert, experts);
    long id = parse(routeId);
    expire(clock.instant());
    Pending p = pending.get(id);
    if (p == null) {
      throw new NoSuchElementException("route " + routeId + " has expired or has had all its feedback (routes wait "
          + rules.routeLifetime() + ", the last " + rules.rememberedRoutes() + " at most)");
    }
    int slot = -1;
    for (int i = 0; i < p.chosen.length; i++) {
      if (p.chosen[i] == expert) {
        slot = i;
      }
    }
    String name = model.expertNames().get(expert);
    if (slot < 0) {
      throw new IllegalArgumentException("expert '" + name + "' was not chosen by route " + routeId + " (chosen: "
          + names(p.chosen) + ")");
    }
    if (p.answered[slot]) {
      throw new IllegalStateException("route " + routeId + " already has feedback for expert '" + name + "'");
    }
    if (frozen) {
      received(id, p, slot);
      return new FeedbackOutcome(routeId, name, reward, 0, false, false, true, Double.NaN);
    }
    float[] delta = new float[experts];
    delta[expert] = (float) reward - p.probabilities[expert];
    double change = changes.teach(p.h, p.x, delta, rules.maxStep());
    // received once applied: a change that failed (a journal that could not write) leaves the feedback to be sent again
    received(id, p, slot);
    boolean bounded = change >= rules.maxStep();
    boolean capped = false;
    double drift;
    if (Double.isFinite(rules.maxDrift())) {
      float[] now = model.routerParameters();
      drift = distance(now, anchor);
      if (drift > rules.maxDrift()) {
        now = projected(now, drift);
        changes.setRouterParameters(now);
        drift = distance(now, anchor);
        capped = true;
      }
    } else {
      // no cap, no measure: measuring copies every parameter, the bulk of a feedback's cost (drift() measures)
      drift = Double.NaN;
    }
    return new FeedbackOutcome(routeId, name, reward, change, bounded, capped, false, drift);
  }

  private void received(long id, Pending p, int slot) {
    p.answered[slot] = true;
    if (p.allAnswered()) {
      pending.remove(id);
    }
  }

  /**
   * {@code now} moved onto the sphere of radius maxDrift around the anchor, along the line to it. Rounding
   * to float can leave the result a little outside; it is then pulled in further until it lies within
   * (at worst onto the anchor itself), so that the cap holds exactly.
   */
  private float[] projected(float[] now, double drift) {
    double cap = rules.maxDrift();
    float[] out = new float[now.length];
    double s = cap / drift;
    for (int tries = 0; ; tries++) {
      for (int i = 0; i < now.length; i++) {
        out[i] = (float) (anchor[i] + (now[i] - anchor[i]) * s);
      }
      double d = distance(out, anchor);
      if (d <= cap) {
        return out;
      }
      s = tries < 8 ? s * (cap / d) * (1 - 1e-6) : s / 2;
    }
  }

  /** Stops all learning through this object; feedback is still checked and recorded as received. */
  public synchronized void freeze() {
    frozen = true;
  }

  /** Resumes learning. */
  public synchronized void unfreeze() {
    frozen = false;
  }

  /** Whether learning is frozen. */
  public synchronized boolean frozen() {
    return frozen;
  }

  /** Makes the router's parameters now the anchor that drift is measured from and rollback returns to. */
  public synchronized void anchor() {
    anchor = model.routerParameters();
  }

  /** Restores the router's parameters to the anchor, bit for bit. */
  public synchronized void rollback() {
    changes.setRouterParameters(anchor);
  }

  /** A copy of the anchor's parameters (for a caller that keeps the anchor across restarts). */
  public synchronized float[] anchorParameters() {
    return anchor.clone();
  }

  /**
   * Makes {@code p} the anchor: parameters of the layout of {@link MixtureOfExperts#routerParameters()}, as
   * {@link #anchorParameters()} gave them (a caller restoring its anchor after a restart).
   *
   * @throws IllegalArgumentException for another length or a non-finite value
   */
  public synchronized void setAnchor(float[] p) {
    VectorMath.requireFinite(p, anchor.length, "anchor");
    anchor = p.clone();
  }

  /** The router's distance from its anchor now (Euclidean, over its parameters). */
  public synchronized double drift() {
    return driftNow();
  }

  /** The number of route ids issued so far: the last id is {@code "r" + issuedRoutes() + "-" + epoch()}. */
  public synchronized long issuedRoutes() {
    return issued;
  }

  /**
   * Continues the route ids after {@code issued} (a router restored from a file or a log, whose earlier
   * ids must not be issued again); never goes back.
   *
   * @throws IllegalArgumentException when {@code issued} is below the ids issued already
   */
  public synchronized void continueRouteIdsAfter(long issued) {
    if (issued < this.issued) {
      throw new IllegalArgumentException("route ids are issued up to r" + this.issued + "; cannot go back to r" + issued);
    }
    this.issued = issued;
  }

  /** Routes waiting for feedback now. */
  public synchronized int pendingRoutes() {
    expire(clock.instant());
    return pending.size();
  }

  private double driftNow() {
    return distance(model.routerParameters(), anchor);
  }

  private long parse(String routeId) {
    Objects.requireNonNull(routeId, "routeId");
    // exactly the form issued: 'r', ASCII digits without a leading zero (Long.parseLong would also read
    // '+' and the digits of other scripts), '-', then a run's 8 lowercase hex digits
    int dash = routeId.lastIndexOf('-');
    boolean issuedForm = dash > 1 && dash <= 20 && routeId.length() == dash + 9 && routeId.charAt(0) == 'r'
        && routeId.charAt(1) != '0';
    for (int i = 1; issuedForm && i < routeId.length(); i++) {
      char c = routeId.charAt(i);
      issuedForm = i < dash ? c >= '0' && c <= '9' : i == dash || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    long id = -1;
    if (issuedForm) {
      if (!routeId.endsWith(epoch)) {
        throw new NoSuchElementException("route id '" + routeId + "' was issued by another run of this router (before"
            + " a restart or a load); its route is gone");
      }
      try {
        id = Long.parseLong(routeId, 1, dash, 10);
      } catch (NumberFormatException e) {
        id = -1;
      }
    }
    if (id < 1 || id > issued) {
      throw new NoSuchElementException("route id '" + routeId + "' was never issued");
    }
    return id;
  }

  /** The suffix of every route id this instance issues ({@code r17-<epoch>}): 8 hex digits drawn when it was made. */
  public String epoch() {
    return epoch;
  }

  private void expire(Instant now) {
    Instant oldest = now.minus(rules.routeLifetime());
    Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue().at.isAfter(oldest)) {
        return;
      }
      it.remove();
    }
  }

  private List<String> names(int[] chosen) {
    List<String> all = model.expertNames();
    List<String> out = new ArrayList<>(chosen.length);
    for (int c : chosen) {
      out.add(all.get(c));
    }
    return out;
  }

  private static double distance(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalStateException("the model's router has " + a.length + " parameters, its anchor " + b.length
          + ": the expert set changed while it was guarded");
    }
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }
}
