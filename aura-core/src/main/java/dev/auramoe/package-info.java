/**
 * aura-moe: adaptive, on-line mixture-of-experts routing with a liquid (continuous-time) gating
 * cell, sparse top-k selection, auxiliary-loss-free load balancing, local learning, spiking
 * attention and energy metering. Start at {@link dev.auramoe.MixtureOfExperts}.
 */
package dev.auramoe;
