package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.GatingCell;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.experts.Expert;
import dev.auramoe.spiking.AttentionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The knobs of {@link MixtureOfExperts.Builder} and their defaults, kept apart from the model class;
 * users see them as methods of {@code MixtureOfExperts.Builder}, which adds {@code build()}. Each
 * setter returns the builder, so calls chain.
 */
abstract sealed class ModelBuilder permits MixtureOfExperts.Builder {
  final int in;
  final int out;
  CellConfig cell = CellConfig.DEFAULT;
  GatingCell gatingCell;
  int topK = Defaults.TOP_K;
  float temperature = Defaults.TEMPERATURE;
  boolean routerUsesInput = true;
  float routerLearningRate = Defaults.ROUTER_LEARNING_RATE;
  Credit credit = Defaults.CREDIT;
  RecentErrors recentErrors = Defaults.recentErrors(false);
  BalanceConfig balance = BalanceConfig.DEFAULT;
  AttentionConfig attention;
  DeviceProfile profile = DeviceProfile.DEFAULT;
  long seed = Defaults.SEED;
  StreamLimits streamLimits = StreamLimits.UNLIMITED;
  StreamEvictionListener evictionListener;
  final List<Expert> experts = new ArrayList<>();

  ModelBuilder(int in, int out) {
    this.in = in;
    this.out = out;
  }

  private MixtureOfExperts.Builder self() {
    return (MixtureOfExperts.Builder) this;
  }

  /** Adds experts (at least one is needed). */
  public MixtureOfExperts.Builder experts(List<? extends Expert> e) {
    experts.addAll(e);
    return self();
  }

  /** Adds one expert. */
  public MixtureOfExperts.Builder expert(Expert e) {
    experts.add(e);
    return self();
  }

  /** Gating cell (default {@link CellConfig#DEFAULT}). */
  public MixtureOfExperts.Builder cell(CellConfig c) {
    this.cell = c;
    return self();
  }

  /**
   * A gating cell built elsewhere (default null: the built-in one), used and trained in place, so one
   * per model; see {@link GatingCell}. Unless it is a {@link LiquidCell} (whose config it records)
   * the model cannot be saved.
   */
  public MixtureOfExperts.Builder gatingCell(GatingCell c) {
    this.gatingCell = c;
    return self();
  }

  /** Experts per input (default 2). */
  public MixtureOfExperts.Builder topK(int k) {
    this.topK = k;
    return self();
  }

  /** Base routing temperature (default 1). */
  public MixtureOfExperts.Builder temperature(float t) {
    this.temperature = t;
    return self();
  }

  /** Whether the router also reads x (default true). */
  public MixtureOfExperts.Builder routerUsesInput(boolean b) {
    this.routerUsesInput = b;
    return self();
  }

  /** Router learning rate in [0, 2) (default {@link Defaults#ROUTER_LEARNING_RATE}). */
  public MixtureOfExperts.Builder routerLearningRate(float r) {
    this.routerLearningRate = r;
    return self();
  }

  /** Expert credit (default {@link Defaults#CREDIT}). */
  public MixtureOfExperts.Builder credit(Credit c) {
    this.credit = c;
    return self();
  }

  /**
   * The experts' recent errors as an input of the router (default {@link Defaults#recentErrors}
   * for numeric targets: on).
   */
  public MixtureOfExperts.Builder recentErrors(RecentErrors r) {
    this.recentErrors = Objects.requireNonNull(r, "recentErrors");
    return self();
  }

  /** Load balancing (default {@link BalanceConfig#DEFAULT}). */
  public MixtureOfExperts.Builder balance(BalanceConfig b) {
    this.balance = b;
    return self();
  }

  /** Spiking attention over tokens (default none). */
  public MixtureOfExperts.Builder attention(AttentionConfig a) {
    this.attention = a;
    return self();
  }

  /** Device profile for energy estimates (default 3 pJ per MAC). */
  public MixtureOfExperts.Builder deviceProfile(DeviceProfile p) {
    this.profile = p;
    return self();
  }

  /** Seed of the random initialisation (default 42). */
  public MixtureOfExperts.Builder seed(long s) {
    this.seed = s;
    return self();
  }

  /** The bound on the open streams (default {@link StreamLimits#UNLIMITED}). */
  public MixtureOfExperts.Builder streamLimits(StreamLimits l) {
    this.streamLimits = Objects.requireNonNull(l, "streamLimits");
    return self();
  }

  /** Told of each evicted stream (default none); see {@link StreamEvictionListener}. */
  public MixtureOfExperts.Builder streamEvictionListener(StreamEvictionListener l) {
    this.evictionListener = l;
    return self();
  }
}
