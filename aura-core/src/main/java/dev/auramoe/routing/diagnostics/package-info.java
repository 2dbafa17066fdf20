/**
 * Routing diagnostics cheap enough to keep on: load per window and as a moving average, balance
 * figures, entropy, experts per token, effective temperature, stickiness, expert-cache hit rate
 * and specialisation with its mutual information.
 */
package dev.auramoe.routing.diagnostics;
