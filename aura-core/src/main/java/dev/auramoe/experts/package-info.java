/**
 * Experts: {@link dev.auramoe.experts.Expert} predicts; {@link dev.auramoe.experts.AdaptiveExpert}
 * also learns from its own error (NLMS, RLS). {@link dev.auramoe.experts.FunctionExpert} wraps any
 * function as a frozen expert.
 */
package dev.auramoe.experts;
