package dev.auramoe.energy;

/** The parts of a mixture whose multiply-accumulates are metered separately. */
public enum Component {
  /** The liquid (or closed-form) gating cell: input projections, recurrent products, state update. */
  CELL,
  /** The router readout: logits from the cell state and the input. */
  ROUTER,
  /** Expert forward passes and the weighted mix of their outputs. */
  EXPERTS,
  /** Spiking k-winners-take-all attention over input tokens. */
  ATTENTION,
  /** Local learning: expert updates and the router's responsibility update. */
  LEARNING;

  private static final Component[] VALUES = values();

  /** All components in ordinal order (shared array, do not modify). */
  static Component[] all() {
    return VALUES;
  }
}
