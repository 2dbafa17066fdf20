package dev.auramoe.engine;

import dev.auramoe.MoeConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.balance.LoadBalancer;
import dev.auramoe.cell.GatingCell;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.energy.EnergyMeter;
import dev.auramoe.experts.Expert;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.io.SnapshotException;
import java.util.List;
import java.util.Random;

/**
 * Everything a model holds, declared once: the configuration it was built with and its live
 * settings, the gating cell, the router, the experts, the load balancer, the energy meter, the
 * streams and the learning counters. The routing and learning passes work on it; snapshots
 * ({@link SnapshotCodec}), changes of the expert set ({@link #withExperts}) and digests are derived
 * from it.
 *
 * <p>Besides the configuration, the experts and the streams (each a section of its own), the state
 * is the list {@link #PARTS}: each {@link Part} names its values, their kinds and how each follows a
 * change of the expert set, and says how to read them from a model and install them into one.
 * Saving writes these values in that order, loading reads and checks them in that order, an
 * expert-set change carries them across, and a digest hashes what saving writes: a new piece of
 * state is one new value of a part (or one new part), and every derivation picks it up.
 *
 * <p>Not thread-safe: the model uses it under its lock.
 */
public final class ModelState {

  /** The configuration as built (the live settings are below). */
  final MoeConfig config;
  final KernelSupport k = KernelProvider.get();
  final int in;
  final int out;
  final int hidden;
  final int topK;
  final int experts;
  final GatingCell cell;
  final Router router;
  final ExpertPool pool;
  final LoadBalancer balancer;
  final EnergyMeter meter;
  final Streams streams;
  /** The base routing temperature now. */
  float temperature;
  /** The router's learning rate now. */
  float routerLearningRate;
  /** Moving average of the chosen experts' squared error: the scale of responsibilities. */
  public float errorScale;
  /** Learn steps applied so far. */
  public long learnSteps;

  /**
   * A fresh model: seeded random cell and router, zero streams, balancer and counters.
   *
   * @param cell the gating cell, or null for the built-in {@link LiquidCell} of {@code config.cell()};
   *     a given cell is used as it is, its extra columns (the router's input readout) included
   * @throws IllegalArgumentException for an inconsistent configuration, set of experts or cell
   */
  public ModelState(MoeConfig config, List<Expert> expertList, GatingCell cell) {
    this.config = config;
    this.in = config.inputDim();
    this.out = config.outputDim();
    if (expertList.isEmpty()) {
      throw new IllegalArgumentException("a mixture needs at least one expert");
    }
    this.experts = expertList.size();
    if (config.topK() > experts) {
      throw new IllegalArgumentException("k = " + config.topK() + " is larger than the number of experts (" + experts
          + ")");
    }
    this.pool = new ExpertPool(expertList, in, out);
    this.topK = config.topK();
    this.hidden = config.cell().hidden();
    int extra = config.routerUsesInput() ? experts : 0;
    this.cell = cell == null ? new LiquidCell(config.cell(), in, extra, config.seed()) : checked(cell, extra);
    this.router = new Router(this.cell, experts, config.routerUsesInput(), config.recentErrors());
    router.initialise(new Random(config.seed() ^ 0x5DEECE66DL), config.routerUsesInput() && cell == null);
    this.balancer = new LoadBalancer(experts, config.balance());
    this.meter = new EnergyMeter(config.profile());
    this.temperature = config.temperature();
    this.routerLearningRate = config.routerLearningRate();
    this.streams = new Streams(hidden, config.attention(), config.recentErrors().enabled() ? experts : 0,
        StreamStateCodec.expertSet(expertList));
  }

  private GatingCell checked(GatingCell c, int extra) {
    if (c.inputDim() != in || c.hidden() != hidden) {
      throw new IllegalArgumentException("the gating cell is " + c.inputDim() + " -> " + c.hidden() + " (input ->"
          + " state) but the mixture needs " + in + " -> " + hidden);
    }
    if (c.extraColumns() != extra || c.width() <= extra) {
      throw new IllegalArgumentException("the gating cell has " + c.extraColumns() + " extra columns of " + c.width()
          + "; the router needs " + extra + " (one per expert when it reads the input, else none)");
    }
    return c;
  }

  public MoeConfig config() {
    return config;
  }

  public GatingCell cell() {
    return cell;
  }

  public Router router() {
    return router;
  }

  public ExpertPool pool() {
    return pool;
  }

  public LoadBalancer balancer() {
    return balancer;
  }

  public EnergyMeter meter() {
    return meter;
  }

  public Streams streams() {
    return streams;
  }

  public KernelSupport kernels() {
    return k;
  }

  public float temperature() {
    return temperature;
  }

  /** Sets the temperature; the caller checked it ({@link MoeConfig#checkTemperature}). */
  public void setTemperature(float t) {
    temperature = t;
  }

  public float routerLearningRate() {
    return routerLearningRate;
  }

  /** Sets the router's learning rate; the caller checked it ({@link MoeConfig#checkRouterLearningRate}). */
  public void setRouterLearningRate(float r) {
    routerLearningRate = r;
  }

  /** The built-in cell, which snapshots can store. */
  public LiquidCell liquidCell() {
    if (cell instanceof LiquidCell c) {
      return c;
    }
    throw new UnsupportedOperationException("the gating cell " + cell.getClass().getName() + " is not the built-in"
        + " liquid cell, and snapshot format v1 stores only that: a model with a custom cell cannot be saved,"
        + " copied to snapshot bytes or digested");
  }

  /** The configuration with the settings in force now: what a snapshot stores and a changed model starts with. */
  MoeConfig liveConfig() {
    MoeConfig c = config;
    return new MoeConfig(c.inputDim(), c.outputDim(), c.cell(), c.topK(), temperature, c.routerUsesInput(),
        routerLearningRate, c.credit(), c.recentErrors(), balancer.config(), c.attention(), meter.profile(), c.seed());
  }

  /**
   * Resets expert e to a fresh one: its learned state, its router readout, bias and input column, and
   * its recent error in every stream (the mean of the others', so that the router neither favours nor
   * avoids it).
   */
  public void resetExpert(int e) {
    pool.reset(e);
    router.reset(e);
    streams.resetRecentErrors(e);
  }

  /** A model with expert {@code e} (taken as it is) appended; see {@link #withExperts}. */
  public ModelState withExpertAdded(Expert e) {
    List<Expert> l = pool.copies();
    l.add(e);
    return withExperts(l, kept(experts, experts + 1));
  }

  /**
   * A model without expert {@code e}, the later ones moving down one index; see {@link #withExperts}.
   *
   * @throws IllegalArgumentException when fewer than k experts would remain
   */
  public ModelState withExpertRemoved(int e) {
    if (experts - 1 < topK) {
      throw new IllegalArgumentException("cannot remove expert '" + pool.get(e).name() + "': the model routes each"
          + " input to k = " + topK + " experts and would have " + (experts - 1));
    }
    List<Expert> l = pool.copies();
    l.remove(e);
    int[] from = new int[experts - 1];
    for (int i = 0; i < from.length; i++) {
      from[i] = i < e ? i : i + 1;
    }
    return withExperts(l, from);
  }

  /** A model in which expert {@code e} is a copy named {@code name} ({@link Expert#copy(String)}). */
  public ModelState withExpertRenamed(int e, String name) {
    List<Expert> l = pool.copies();
    l.set(e, pool.get(e).copy(name));
    return withExperts(l, kept(experts, experts));
  }

  /** {@code from} for a model whose first {@code kept} experts keep their index, the rest fresh. */
  private static int[] kept(int kept, int length) {
    int[] from = new int[length];
    for (int i = 0; i < length; i++) {
      from[i] = i < kept ? i : -1;
    }
    return from;
  }

  /**
   * A model with another set of experts, carrying every piece of state that survives the change;
   * this one is read, never written. Expert j of the new model comes from index {@code from[j]} of
   * this one (its learned state is in {@code expertList}; its router readout, bias and input column
   * and its balancer entries follow it) or is fresh ({@code from[j] == -1}): zero router weights,
   * so the router neither favours nor avoids it, balancer bias 0, selection count 0 and a
   * moving-average load at the others' mean, so the balancer starts neutral toward it, and in every
   * stream a recent error at the mean of the carried experts', so the router starts neutral too. The cell's weights, the learning and energy counters, the live settings
   * and every stream carry over, with the streams' recency and bound ({@link Streams#copyFrom}).
   *
   * @throws IllegalArgumentException when an expert's shape differs from the mixture's or its name is taken
   */
  ModelState withExperts(List<Expert> expertList, int[] from) {
    GatingCell c = cell.withExtraColumns(config.routerUsesInput() ? from : new int[0]);
    ModelState n = new ModelState(liveConfig(), expertList, c);
    for (Part p : PARTS) {
      if (p.carried()) {
        Object[] v = p.capture.read(this);
        for (int i = 0; i < v.length; i++) {
          v[i] = p.values.get(i).layout.carry(v[i], experts, from);
        }
        try {
          p.install.write(n, v);
        } catch (SnapshotException e) {
          throw new IllegalStateException("carrying " + p.owner + ": " + e.getMessage(), e);
        }
      }
    }
    n.streams.copyFrom(streams, from);
    return n;
  }

  // ------------------------------------------------------------------ the declaration

  /** How a value is stored in a snapshot. */
  enum Kind { F32, I64, F32S, I64S }

  /** How a value follows a change of the expert set. */
  enum Layout {
    /** Carried as it is. */
    SHARED,
    /** Rows of one entry per expert (a vector is one row): each entry follows its expert, a fresh one gets 0. */
    PER_EXPERT,
    /** As {@link #PER_EXPERT}, a fresh expert's entry being its row's mean (the balancer's load: neutral). */
    PER_EXPERT_MEAN,
    /** Carried by the gating cell itself ({@link GatingCell#withExtraColumns}). */
    CELL;

    Object carry(Object v, int oldExperts, int[] from) {
      return switch (this) {
        case SHARED, CELL -> v;
        case PER_EXPERT, PER_EXPERT_MEAN -> v instanceof float[] f ? remap(f, oldExperts, from, this == PER_EXPERT_MEAN)
            : remap((long[]) v, oldExperts, from);
      };
    }

    private static float[] remap(float[] old, int oldE, int[] from, boolean meanForFresh) {
      int newE = from.length;
      float[] n = new float[old.length / oldE * newE];
      for (int r = 0; r < old.length / oldE; r++) {
        float fresh = 0f;
        if (meanForFresh) {
          for (int e = 0; e < oldE; e++) {
            fresh += old[r * oldE + e];
          }
          fresh /= oldE;
        }
        for (int j = 0; j < newE; j++) {
          n[r * newE + j] = from[j] >= 0 ? old[r * oldE + from[j]] : fresh;
        }
      }
      return n;
    }

    private static long[] remap(long[] old, int oldE, int[] from) {
      int newE = from.length;
      long[] n = new long[old.length / oldE * newE];
      for (int r = 0; r < old.length / oldE; r++) {
        for (int j = 0; j < newE; j++) {
          n[r * newE + j] = from[j] >= 0 ? old[r * oldE + from[j]] : 0L;
        }
      }
      return n;
    }
  }

  /** The length an array must have for a configuration and expert count, checked before a model is built. */
  interface Shape {
    long expected(MoeConfig c, int experts);
  }

  /** One value of a part: its name (in error messages), kind, layout and, for arrays, its shape (or null). */
  record Value(String name, Kind kind, Layout layout, Shape shape) {}

  interface Capture {
    Object[] read(ModelState s);
  }

  interface Install {
    /** Checks the values (a {@link SnapshotException} names the first bad one) and installs copies of them. */
    void write(ModelState s, Object[] v) throws SnapshotException;
  }

  /**
   * One owner's share of the state: its values in snapshot order, how to capture them (arrays may be
   * the live ones: installing copies) and how to install them.
   */
  record Part(String owner, List<Value> values, Capture capture, Install install) {
    /** Whether an expert-set change carries it value by value (the cell carries itself). */
    boolean carried() {
      return values.stream().noneMatch(v -> v.layout == Layout.CELL);
    }
  }

  private static Value array(String name, Kind kind, Layout layout, Shape shape) {
    return new Value(name, kind, layout, shape);
  }

  private static Value scalar(String name, Kind kind) {
    return new Value(name, kind, Layout.SHARED, null);
  }

  /** The parts written before the experts, in snapshot order. */
  static final List<Part> BEFORE_EXPERTS = List.of(
      new Part("cell", List.of(
          array("cell projection", Kind.F32S, Layout.CELL,
              (c, e) -> (long) c.inputDim() * (2L * c.cell().hidden() + (c.routerUsesInput() ? e : 0))),
          array("recurrent weights", Kind.F32S, Layout.CELL, (c, e) -> (long) c.cell().hidden() * c.cell().hidden()),
          array("drive bias", Kind.F32S, Layout.CELL, (c, e) -> c.cell().hidden()),
          array("time-constant bias", Kind.F32S, Layout.CELL, (c, e) -> c.cell().hidden())),
          s -> {
            LiquidCell c = s.liquidCell();
            return new Object[] {c.projection(), c.recurrent(), c.driveBias(), c.tauBias()};
          },
          (s, v) -> s.liquidCell().setWeights((float[]) v[0], (float[]) v[1], (float[]) v[2], (float[]) v[3])),
      new Part("router", List.of(
          array("router readout", Kind.F32S, Layout.PER_EXPERT, (c, e) -> (long) c.cell().hidden() * e),
          array("router bias", Kind.F32S, Layout.PER_EXPERT, (c, e) -> e)),
          s -> new Object[] {s.router.readout(), s.router.bias()},
          (s, v) -> {
            copyExact((float[]) v[0], s.router.readout(), "router readout");
            copyExact((float[]) v[1], s.router.bias(), "router bias");
          }),
      new Part("learning", List.of(scalar("error scale", Kind.F32), scalar("learn step count", Kind.I64)),
          s -> new Object[] {s.errorScale, s.learnSteps},
          (s, v) -> {
            float errorScale = (Float) v[0];
            if (!Float.isFinite(errorScale) || errorScale < 0) {
              throw new SnapshotException("corrupt snapshot: error scale " + errorScale);
            }
            s.errorScale = errorScale;
            s.learnSteps = requireNonNegative((Long) v[1], "learn step count");
          }),
      new Part("balancer", List.of(
          array("balance bias", Kind.F32S, Layout.PER_EXPERT, (c, e) -> e),
          array("balance load", Kind.F32S, Layout.PER_EXPERT_MEAN, (c, e) -> e),
          array("balance counts", Kind.I64S, Layout.PER_EXPERT, (c, e) -> e),
          scalar("balancer token count", Kind.I64), scalar("bias update count", Kind.I64)),
          s -> {
            BalanceState b = s.balancer.state();
            return new Object[] {b.bias(), b.load(), b.counts(), b.tokens(), b.biasUpdates()};
          },
          (s, v) -> {
            float[] bias = (float[]) v[0];
            float[] load = (float[]) v[1];
            long[] counts = (long[]) v[2];
            long tokens = requireNonNegative((Long) v[3], "balancer token count");
            long biasUpdates = requireNonNegative((Long) v[4], "bias update count");
            for (long c : counts) {
              requireNonNegative(c, "expert selection count");
            }
            for (float l : load) {
              if (!(l >= 0f && l <= 1f)) {
                throw new SnapshotException("corrupt snapshot: expert load " + l + " outside [0, 1]");
              }
            }
            double cap = s.balancer.config().biasCap();
            for (float b : bias) {
              // The balancer clamps to the cap as a float (0.1f > 0.1).
              if (Math.abs(b) > (float) cap) {
                throw new SnapshotException("corrupt snapshot: selection bias " + b + " beyond the cap " + cap);
              }
            }
            s.balancer.restore(bias, load, counts, tokens, biasUpdates);
          }));

  /** The parts written after the streams, in snapshot order. */
  static final List<Part> AFTER_STREAMS = List.of(
      new Part("energy meter", List.of(array("energy counters", Kind.I64S, Layout.SHARED, null)),
          s -> new Object[] {s.meter.rawCounters()},
          (s, v) -> {
            long[] counters = (long[]) v[0];
            for (long c : counters) {
              requireNonNegative(c, "energy counter");
            }
            s.meter.restoreCounters(counters);
          }));

  /** Every part, in snapshot order. */
  static final List<Part> PARTS = concat(BEFORE_EXPERTS, AFTER_STREAMS);

  private static List<Part> concat(List<Part> a, List<Part> b) {
    List<Part> l = new java.util.ArrayList<>(a);
    l.addAll(b);
    return List.copyOf(l);
  }

  static long requireNonNegative(long v, String what) throws SnapshotException {
    if (v < 0) {
      throw new SnapshotException("corrupt snapshot: negative " + what + " (" + v + ")");
    }
    return v;
  }

  private static void copyExact(float[] src, float[] dst, String what) throws SnapshotException {
    if (src.length != dst.length) {
      throw new SnapshotException("corrupt snapshot: " + what + " has " + src.length + " values, expected "
          + dst.length);
    }
    System.arraycopy(src, 0, dst, 0, src.length);
  }
}
