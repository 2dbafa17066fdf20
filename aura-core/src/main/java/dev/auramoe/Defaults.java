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
   * Experts: 8. On the grid (2 to 16 regimes per stream, recent errors on for every stream) 8 do as well
   * as 16 (median mixture/oracle 1.96 against 2.06) at half the cost of reading every expert's error,
   * and better than 4 (2.29). On MOA's classification streams none of 4, 8 and 16 wins everywhere
   * (AGRAWAL favours 16, hyperplane 4); 8 is never the worst of the three by more than a point.
   */
  public static final int EXPERTS = 8;

  /** Experts per input: 2, so that the router learns from how two experts compare. */
  public static final int TOP_K = 2;

  /**
   * Hidden units of the learners' liquid cell: 8. On the grid 32 is no better (median 2.19 against
   * 2.16, 16 experts) at four times the cell's cost; a model built directly keeps the cell's own
   * default size.
   */
  public static final int HIDDEN = 8;

  /** Step of the experts (NLMS and softmax regression): 0.5. */
  public static final double MU = 0.5;

  /** The router's learning rate: 1.0 (0.5 gives a median mixture/oracle 5% higher on the grid, 16 experts). */
  public static final float ROUTER_LEARNING_RATE = 1f;

  /** Base routing temperature: 1. */
  public static final float TEMPERATURE = 1f;

  /**
   * Credit of the chosen experts' updates: their responsibilities, which let experts specialise faster
   * than the gate weights (median mixture/oracle 2.06 against 2.15 on the grid with 16 experts, 2.2
   * against 2.4 on the demo).
   */
  public static final Credit CREDIT = Credit.RESPONSIBILITY;

  /**
   * Whether the router reads the experts' recent errors, by the kind of target: on
   * ({@link RecentErrors#DEFAULT}) for numeric targets, off for class targets. A regressor's error says
   * how far its map is from the stream's current one, and regimes persist, so the recent errors name
   * the regime even when x does not (the grid's regression streams, 16 experts: median mixture/oracle
   * 3.1 against 8.0 without). A classifier's error on one instance is a near 0/1 event, dominated by label noise and
   * by where x fell, so on streams whose concept depends on x rather than on time their recent average
   * misleads the router: on MOA's generators, with 16 experts, AGRAWAL 79.0% with it against 87.3%
   * without, SEA 85.6% against 86.9%. Where a classification stream's regimes do persist in time (the
   * grid's classification streams) it helps (16 experts: median mixture/oracle 1.6 against 2.9; 8 experts: 1.5 with them): turn it on there
   * ({@code aura stream --recent-errors on}, {@code StreamLearner.Builder#recentErrors}).
   *
   * @param classTarget whether the learner predicts classes
   */
  public static RecentErrors recentErrors(boolean classTarget) {
    return classTarget ? RecentErrors.OFF : RecentErrors.DEFAULT;
  }

  /** Seed of every random initialisation: 42. */
  public static final long SEED = 42;
}
