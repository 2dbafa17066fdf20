/**
 * The continuous-time gating cell: a liquid time-constant cell integrated with explicit Euler, or a
 * closed-form (CfC-style) variant; its bounded state persists per stream.
 */
package dev.auramoe.cell;
