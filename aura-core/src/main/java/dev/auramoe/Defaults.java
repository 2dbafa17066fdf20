package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;

/**
 * The defaults of a learning mixture, in one place: {@link MixtureOfExperts.Builder} takes those it
 * has a setting for, and the stream learner of aura-stream, {@code aura stream} and the HTTP service's
 * model creation take all of them, so that one stream learned with no settings through any of them
 * gives the same model. The recent errors and the balancing have their defaults in their own types
 * ({@link RecentErrors#DEFAULT}, {@link BalanceConfig#DEFAULT}); the gating cell's is
 * {@link dev.auramoe.cell.CellConfig#DEFAULT}, whose size the learners replace by {@link #HIDDEN}.
 *
 * <p>Each was chosen on the {@code aura learn-bench} grid (324 generated streams, regression and
 * classification; docs/learning.md gives the figures of the alternatives measured), then checked on the
 * demo's stream and against MOA; none is tuned to one stream.
 */
public final class Defaults {

  private Defaults() {}

  /**
   * Experts: 16. Every expert's error is computed on each learned target (the router reads them), so
   * spare experts cost one prediction each, and an unused expert waits at its initial state for a regime
   * no other expert fits: on the grid, 16 beat 4 and 8 (median mixture/oracle 2.14 against 3.35 and 3.94
   * with the recent errors unbounded; 4 to 16 regimes per stream).
   */
  public static final int EXPERTS = 16;

  /** Experts per input: 2, so that the router learns from how two experts compare. */
  public static final int TOP_K = 2;

  /**
   * Hidden units of the learners' liquid cell: 8. On the grid 32 is no better (median 2.19 against
   * 2.16) at four times the cell's cost; a model built directly keeps the cell's own default size.
   */
  public static final int HIDDEN = 8;

  /** Step of the experts (NLMS and softmax regression): 0.5. */
  public static final double MU = 0.5;

  /** The router's learning rate: 1.0 (0.5 gives a median mixture/oracle 5% higher on the grid). */
  public static final float ROUTER_LEARNING_RATE = 1f;

  /** Base routing temperature: 1. */
  public static final float TEMPERATURE = 1f;

  /**
   * Credit of the chosen experts' updates: their responsibilities, which let experts specialise faster
   * than the gate weights (median mixture/oracle 2.06 against 2.15 on the grid, 2.2 against 2.4 on the
   * demo).
   */
  public static final Credit CREDIT = Credit.RESPONSIBILITY;

  /** Seed of every random initialisation: 42. */
  public static final long SEED = 42;
}
