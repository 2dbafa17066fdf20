package dev.auramoe;

/** What weight a chosen expert's local update gets. */
public enum Credit {
  /** The expert's mixing weight (its renormalised gate probability). */
  GATE_WEIGHT,
  /**
   * Its responsibility: the gate probability re-weighted by how well the expert predicted this
   * target, {@code r_i ∝ p_i exp(-e_i / 2 s^2)} over the chosen experts (an on-line EM step). Experts
   * specialise faster. The default ({@link Defaults#CREDIT}).
   */
  RESPONSIBILITY
}
