package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.feedback.FeedbackOutcome;
import dev.auramoe.feedback.GuardedRouter;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.RouterChanges;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Feedback on one model's routes, under guard-rails: the model's {@link FeedbackSettings}, the
 * anchor that drift is measured from, and, while feedback is on, a {@link GuardedRouter} over the
 * live model that remembers its routes and turns rewards into bounded changes of its router.
 *
 * <h2>Route ids</h2>
 * A route id is {@code <epoch>-<memory>-r<n>}: the registry's epoch (random, new at every start of
 * the server), the number of the route memory within it (a new one whenever a model's routes start
 * over: feedback turned on, new feedback rules, a change of the expert set, a restore) and the
 * guarded router's own id. Route ids live in memory: one issued before a restart, or by an earlier
 * route memory, has expired (410), and none is ever issued twice, across models and restarts.
 *
 * <h2>Durability</h2>
 * A feedback and a rollback change the router's parameters; the changes, as the guarded router made
 * them (its {@link GuardedRouter.Changes} path), are one {@code ROUTER_CHANGE} operation, which a
 * replay repeats bit for bit without the guard. The changes of one feedback (the bounded update, then
 * the projection onto the drift cap when it applies) are decided one after the other by the guard,
 * each from the model as the previous one left it, so they are made first and logged together before
 * the sequencer is released: two records could be cut apart by a crash and leave a recovered router
 * beyond its drift cap. An error between the change and its logging wedges the model (the log then
 * lacks what the model holds); a log that refuses the record has the router put back as it was. An
 * anchor is a {@code FEEDBACK_ANCHOR} operation; turning feedback on anchors the router where it is,
 * and so do the CONFIGURE operation's replay and an expert-set change that alters the router's
 * shape, so the anchor follows from the log; a snapshot keeps it beside the model (see
 * {@link #persisted()}), for a log trimmed behind it.
 *
 * <p>Every method runs under the model's sequencer (lock order: the sequencer, then the guarded
 * router's monitor, then the model's own lock).
 */
final class ModelFeedback {

  /**
   * A route id exactly as this class issues it: numbers without a leading zero, memories from 1, so
   * that no other spelling names an issued route.
   */
  private static final Pattern ROUTE_ID = Pattern.compile("([0-9a-f]{16})-([1-9][0-9]{0,17})-r([1-9][0-9]{0,17})");

  private final ModelEntry entry;
  private final Sequencer sequencer;
  private final InstantSource clock;
  private volatile FeedbackSettings settings;
  /** The router's parameters that drift is measured from and rollback returns to. */
  private float[] anchor;
  /** The guarded router over the live model while feedback is on, else null. */
  private GuardedRouter guard;
  /** The number of the route memory the guard holds (see the class documentation). */
  private long memory;
  /** The guard's last route id issued ({@code r<issued>}), so that one never issued is told from one expired. */
  private long issued;
  /** The changes the guard made during the current call. */
  private final List<RouterChanges.Change> made = new ArrayList<>();

  ModelFeedback(ModelEntry entry, Sequencer sequencer, FeedbackSettings settings) {
    this.entry = entry;
    this.sequencer = sequencer;
    this.settings = settings;
    ModelRegistry registry = entry.registry();
    this.clock = () -> Instant.ofEpochSecond(0, registry.now());
    this.anchor = entry.model().routerParameters();
    if (settings.enabled()) {
      newMemory(entry.model());
    }
  }

  /** The settings in force; takes no lock. */
  FeedbackSettings settings() {
    return settings;
  }

  /** What the routes waiting for feedback may take at most, in parameters (0 with feedback off). */
  long routeMemory() {
    MixtureOfExperts m = entry.model();
    return settings.routeMemory(m.hidden(), m.inputDim(), m.expertCount(), m.topK());
  }

  /** The route memory one more expert adds, in parameters. */
  long routeMemoryPerExpert() {
    return settings.enabled() ? settings.rememberedRoutes() : 0;
  }

  /**
   * Remembers a route just made for feedback, under the sequencer: its id, or null when feedback is
   * off or recovery replays the log (route ids do not outlive the server that issued them).
   *
   * @param x the route's input, copied
   */
  String remember(String stream, float[] x, RoutingDecision d) {
    GuardedRouter g = guard;
    if (g == null || !entry.registry().budgetEnforced()) {
      return null;
    }
    int[] experts = d.experts();
    String local = g.remember(entry.model().state(stream), x, experts, experts.length, d.probabilities());
    issued = Long.parseLong(local, 1, local.indexOf('-'), 10);
    return prefix() + "r" + issued;
  }

  private String prefix() {
    return entry.registry().feedbackEpoch() + "-" + memory + "-";
  }

  /**
   * A reward for one chosen expert of a remembered route, through the guard-rails; answered once its
   * change is durable.
   *
   * @throws Refusal INVALID for a reward outside [0, 1] or an expert the route did not choose;
   *     NOT_FOUND for a route id never issued or an unknown expert; GONE for a route that expired
   *     (an earlier start of the server, an earlier route memory, its lifetime, the memory's size, or
   *     every chosen expert has had its feedback); CONFLICT for feedback off or a second feedback for
   *     the same expert of a route; UNAVAILABLE when the log failed. Nothing changes on a refusal.
   */
  ModelEntry.FeedbackAnswer feedback(String routeId, String expert, double reward) {
    if (!(reward >= 0 && reward <= 1)) {
      throw Refusal.invalid("reward must lie in [0, 1], got " + reward);
    }
    Matcher id = ROUTE_ID.matcher(routeId);
    if (!id.matches()) {
      throw Refusal.notFound("route id '" + quoted(routeId) + "' was never issued: route ids look like"
          + " 0123456789abcdef-1-r42, as a route's answer gives them");
    }
    long routeMemory = Long.parseLong(id.group(2));
    long n = Long.parseLong(id.group(3));
    String local = null;
    FeedbackOutcome outcome;
    CompletableFuture<Long> durable = null;
    sequencer.lockParking();
    try {
      entry.requireLive();
      GuardedRouter g = requireOn();
      local = "r" + n + "-" + g.epoch();
      if (!id.group(1).equals(entry.registry().feedbackEpoch())) {
        throw Refusal.gone("route '" + routeId + "' has expired: it was issued before the server last started (route"
            + " ids live in memory and do not survive a restart)");
      }
      int e = entry.expertNames().indexOf(expert);
      if (e < 0) {
        throw Refusal.notFound("model '" + entry.name() + "' has no expert named '" + quoted(expert) + "'; its experts are "
            + entry.expertNames());
      }
      if (routeMemory > memory || (routeMemory == memory && n > issued)) {
        throw Refusal.notFound("route id '" + routeId + "' was never issued by model '" + entry.name() + "'");
      }
      if (routeMemory < memory) {
        throw Refusal.gone("route '" + routeId + "' has expired: model '" + entry.name() + "' started a new route"
            + " memory since it was routed (its feedback was turned on or its feedback rules changed, its experts"
            + " changed, or it was restored)");
      }
      float[] before = entry.model().routerParameters();
      made.clear();
      sequencer.applyingAhead();
      try {
        outcome = g.feedback(local, e, reward);
      } catch (RuntimeException refused) {
        if (!made.isEmpty()) {
          // A fault after a change (GuardedRouter checks everything first): the router goes back to
          // what the log says.
          made.clear();
          entry.model().setRouterParameters(before);
          sequencer.applied();
          throw refused;
        }
        sequencer.applied();
        if (!(refused instanceof NoSuchElementException || refused instanceof IllegalArgumentException
            || refused instanceof IllegalStateException)) {
          throw refused;
        }
        // Its message names the route by the guard's own id: name it as the client does.
        String why = refused.getMessage().replace("route " + local + " ", "route '" + routeId + "' ");
        throw refused instanceof NoSuchElementException ? Refusal.gone(why)
            : refused instanceof IllegalStateException ? Refusal.conflict(why) : Refusal.invalid(why);
      }
      if (!made.isEmpty()) {
        durable = logMade(before);
      }
      sequencer.applied();
    } catch (Error err) {
      throw sequencer.wedge(err);
    } finally {
      sequencer.unlock();
    }
    entry.after();
    return new ModelEntry.FeedbackAnswer(routeId, outcome, durable == null ? -1 : awaitDurable(durable));
  }

  /**
   * Makes the router now the anchor; answered once durable.
   *
   * @return the sequence number of the FEEDBACK_ANCHOR operation
   * @throws Refusal CONFLICT when feedback is off, UNAVAILABLE when the log failed
   */
  long anchor() {
    CompletableFuture<Long> durable;
    sequencer.lockParking();
    try {
      entry.requireLive();
      GuardedRouter g = requireOn();
      durable = sequencer.log(Operation.feedbackAnchor(entry.name()));
      g.anchor();
      anchor = g.anchorParameters();
      sequencer.applied();
    } catch (Error err) {
      throw sequencer.wedge(err);
    } finally {
      sequencer.unlock();
    }
    entry.after();
    return awaitDurable(durable);
  }

  /**
   * Puts the router's parameters back to the anchor, bit for bit; answered once durable.
   *
   * @return the distance the router moved back, and the sequence number of the ROUTER_CHANGE operation
   * @throws Refusal CONFLICT when feedback is off, UNAVAILABLE when the log failed
   */
  ModelEntry.RolledBack rollback() {
    CompletableFuture<Long> durable;
    double moved;
    sequencer.lockParking();
    try {
      entry.requireLive();
      GuardedRouter g = requireOn();
      moved = g.drift();
      float[] before = entry.model().routerParameters();
      made.clear();
      sequencer.applyingAhead();
      g.rollback();
      durable = logMade(before);
      sequencer.applied();
    } catch (Error err) {
      throw sequencer.wedge(err);
    } finally {
      sequencer.unlock();
    }
    entry.after();
    return new ModelEntry.RolledBack(moved, awaitDurable(durable));
  }

  /** The settings, the routes waiting and the drift, read under the sequencer. */
  ModelEntry.FeedbackInfo info() {
    sequencer.lockParking();
    try {
      entry.requireLive();
      GuardedRouter g = guard;
      return new ModelEntry.FeedbackInfo(settings, g == null ? 0 : g.pendingRoutes(), g == null ? null : g.drift(), routeMemory());
    } finally {
      sequencer.unlock();
    }
  }

  /**
   * Replays a ROUTER_CHANGE: logs it (to the replay's journal) and makes its changes, without the guard.
   */
  void replay(Operation op) {
    sequencer.lockParking();
    try {
      entry.requireLive();
      sequencer.log(op);
      MixtureOfExperts m = entry.model();
      for (RouterChanges.Change c : op.router().changes()) {
        switch (c) {
          case RouterChanges.Teach t -> m.teachRouter(t.h(), t.x(), t.delta(), t.maxChange());
          case RouterChanges.Set s -> m.setRouterParameters(s.parameters());
        }
      }
      sequencer.applied();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("a logged router change does not fit model '" + entry.name() + "': " + e.getMessage(),
          e);
    } catch (Error err) {
      throw sequencer.wedge(err);
    } finally {
      sequencer.unlock();
    }
  }

  /**
   * Applies new feedback settings (validated, and logged by the caller), under the sequencer: turned
   * on, the router is anchored where it is and a route memory starts; turned off, the routes are
   * forgotten; other guard-rails start a new route memory from the same anchor; freezing keeps them.
   */
  void configure(FeedbackSettings next) {
    FeedbackSettings was = settings;
    settings = next;
    MixtureOfExperts m = entry.model();
    if (!next.enabled()) {
      guard = null;
      return;
    }
    if (!was.enabled()) {
      anchor = m.routerParameters();
      newMemory(m);
    } else if (next.otherRules(was)) {
      newMemory(m);
    } else if (next.frozen()) {
      guard.freeze();
    } else {
      guard.unfreeze();
    }
  }

  /**
   * The model was replaced (an expert-set change, a restore), under the sequencer: a new route memory
   * over the new model; the anchor stays when the router kept its shape, else it is the router now.
   */
  void replaced(MixtureOfExperts next) {
    if (next.routerParameterCount() != anchor.length) {
      anchor = next.routerParameters();
    }
    if (settings.enabled()) {
      newMemory(next);
    }
  }

  /** What a snapshot keeps: the settings and a copy of the anchor (under the sequencer). */
  ModelEntry.FeedbackState persisted() {
    return new ModelEntry.FeedbackState(settings, anchor.clone());
  }

  /**
   * Installs what a snapshot kept (recovery, before the entry is shared).
   *
   * @throws IllegalArgumentException when the anchor does not fit the model's router
   */
  void load(ModelEntry.FeedbackState p) {
    MixtureOfExperts m = entry.model();
    if (p.anchor().length != m.routerParameterCount()) {
      throw new IllegalArgumentException("the feedback anchor has " + p.anchor().length + " values but the model's"
          + " router has " + m.routerParameterCount() + " parameters");
    }
    for (float v : p.anchor()) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("the feedback anchor holds a value that is not finite");
      }
    }
    settings = p.settings();
    anchor = p.anchor().clone();
    guard = null;
    if (settings.enabled()) {
      newMemory(m);
    }
  }

  private void newMemory(MixtureOfExperts m) {
    GuardedRouter g = new GuardedRouter(m, settings.rules(), clock, new Recorder(m));
    g.setAnchor(anchor);
    if (settings.frozen()) {
      g.freeze();
    }
    guard = g;
    memory = entry.registry().nextRouteMemory();
    issued = 0;
  }

  /** A client's string in a message: at most 64 chars, control characters as '?'. */
  private static String quoted(String s) {
    String t = s.length() <= 64 ? s : s.substring(0, 61) + "...";
    return t.replaceAll("\\p{Cntrl}", "?");
  }

  private GuardedRouter requireOn() {
    GuardedRouter g = guard;
    if (g == null) {
      throw Refusal.conflict("feedback is off for model '" + entry.name() + "'; turn it on with PATCH /v1/models/"
          + entry.name() + " {\"feedback\": true}");
    }
    return g;
  }

  /**
   * Logs the changes the guard made, as one ROUTER_CHANGE; when the log refuses it, the router is
   * put back as it was before them (the refusal then changed nothing).
   */
  private CompletableFuture<Long> logMade(float[] before) {
    Operation op = Operation.routerChange(entry.name(), new RouterChanges(made));
    made.clear();
    try {
      return sequencer.log(op);
    } catch (Refusal refused) {
      sequencer.applyingAhead();
      entry.model().setRouterParameters(before);
      throw refused;
    }
  }

  private static long awaitDurable(CompletableFuture<Long> durable) {
    try {
      return durable.join();
    } catch (CompletionException | CancellationException e) {
      throw Refusal.unavailable("the operation log could not make the change durable; it is not acknowledged");
    }
  }

  /** The guard's path to the model: each change is made, and kept (copied) for the call's operation. */
  private final class Recorder implements GuardedRouter.Changes {

    private final MixtureOfExperts model;

    Recorder(MixtureOfExperts model) {
      this.model = model;
    }

    @Override
    public double teach(float[] h, float[] x, float[] delta, double maxChange) {
      double change = model.teachRouter(h, x, delta, maxChange);
      made.add(new RouterChanges.Teach(h.clone(), x.clone(), delta.clone(), maxChange));
      return change;
    }

    @Override
    public void setRouterParameters(float[] p) {
      model.setRouterParameters(p);
      made.add(new RouterChanges.Set(p.clone()));
    }
  }
}
