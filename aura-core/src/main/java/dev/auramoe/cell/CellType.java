package dev.auramoe.cell;

/** How the gating cell integrates its ODE. */
public enum CellType {
  /**
   * Liquid time-constant cell, explicit Euler (Hasani et al., "Liquid Time-constant Networks",
   * AAAI 2021; here with an input-dependent tau as in the product spec).
   */
  LIQUID,
  /**
   * Closed-form continuous-time update (after Hasani et al., "Closed-form continuous-time neural
   * networks", Nature Machine Intelligence 2022): the exact solution of the linear ODE with the
   * drive held constant over the step, stable for any step length.
   */
  CLOSED_FORM
}
