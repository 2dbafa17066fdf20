/**
 * The gating cell: {@link dev.auramoe.cell.GatingCell}, the interface a model's cell implements (a
 * cell trained elsewhere may implement it), and the built-in {@link dev.auramoe.cell.LiquidCell}, a
 * continuous-time cell integrated with explicit Euler (liquid time-constant) or in closed form
 * (CfC-style); its bounded state persists per stream.
 */
package dev.auramoe.cell;
