/**
 * aura-moe: adaptive, on-line mixture-of-experts routing with a liquid (continuous-time) gating
 * cell, sparse top-k selection, auxiliary-loss-free load balancing, local learning, spiking
 * attention and energy metering. Start at {@link dev.auramoe.MixtureOfExperts}; this page holds the
 * parts of its contract that span several methods.
 *
 * <pre>{@code
 * MixtureOfExperts moe = MixtureOfExperts.builder(8, 1).experts(Experts.nlms("e", 8, 8, 1, 0.5)).build();
 * RouteBuffer buf = moe.newRouteBuffer();
 * float[] yHat = new float[1];
 * for (Sample s : stream) {
 *   moe.learn(MixtureOfExperts.DEFAULT_STREAM, s.x(), s.y(), yHat);   // prequential: predict, then learn
 * }
 * moe.route("default", x, buf);                                         // zero-allocation routing
 * }</pre>
 *
 * <h2 id="float-range">Float range</h2>
 * Finite inputs and targets can still produce a prediction beyond float range (a large input times
 * a learned weight): every prediction saturates at {@code +-Float.MAX_VALUE} instead of becoming
 * infinite, and its squared error is computed in double, so both are always finite. Such a learn
 * is applied like any other (so it stays deterministic and replayable); an expert output whose
 * error, or whose update, would leave float range learns nothing from that sample, so the state
 * stays finite and every snapshot loadable. A user's expert that predicts NaN for a finite input
 * raises an {@link java.lang.IllegalStateException} after the routing.
 *
 * <h2 id="fast-path">Fast path</h2>
 * With {@code --add-modules jdk.incubator.vector} and aura-simd on the class path the Vector API
 * kernels are used; otherwise scalar kernels (see {@code -Daura.kernels}). Routing, prediction and
 * learning with the built-in top-k allocate nothing per call.
 *
 * <h2 id="recency">Stream recency</h2>
 * A model keeps its streams (other than the default one) in a least-recently-used order for
 * callers that bound the number of streams: {@link dev.auramoe.MixtureOfExperts#touchStream} makes a
 * stream the most recently used one and records the caller's stamp (a time, a counter); opening a
 * stream counts as a use at the stamp given to {@code openStream(id, stamp)}, else at the latest
 * stamp the model was given (0 before any). {@link dev.auramoe.MixtureOfExperts#leastRecentlyUsedStream}
 * and {@link dev.auramoe.MixtureOfExperts#latestStampOfLeastRecentlyUsed} tell a caller what it
 * would evict and how long the busiest of those streams has been idle;
 * {@link dev.auramoe.MixtureOfExperts#stampStreams} counts every stream as used at a stamp (after a
 * load), and {@link dev.auramoe.MixtureOfExperts#copyStreamRecency} takes over another model's order
 * for a model that replaces it: the streams both hold get its order and stamps, the others become
 * the most recently used ones. The order is bookkeeping, not model state: snapshots and digests
 * leave it out, and a loaded model starts with its streams in opening order. Touching and the
 * lookups are constant time and allocate nothing. The model itself bounds its streams with
 * {@link dev.auramoe.StreamLimits}, which can also keep the recency clock itself (one stamp per
 * routed input).
 *
 * <h2 id="stream-state">Stream state as a value</h2>
 * {@link dev.auramoe.MixtureOfExperts#exportStream} gives one stream's state (its cell state, its
 * experts' recent errors, its spiking attention state and its route count) as a small, versioned and
 * checksummed byte form, with the shape of the model (the cell's hidden size, the attention
 * configuration, the expert set the recent errors belong to): a distributed
 * job keeps it as keyed state, a service evicts a stream and restores it later. Equal states give
 * equal bytes; neither the id nor the recency stamp is part of them. It throws
 * {@link java.util.NoSuchElementException} for a stream that is not open and
 * {@link java.lang.IllegalStateException} for a state holding a non-finite value, which could not
 * be imported back.
 *
 * <p>{@link dev.auramoe.MixtureOfExperts#importStream} takes the bytes back, into the model or
 * another one of the same shape whatever its weights (a replica, a restart, the model after an
 * expert-set change, where the recent errors, which belong to other experts, start at 0): it replaces the state of an open stream, or opens the stream with it under
 * the stream limits, and the stream counts as used at the stamp given, else at the latest stamp
 * the model was given. The stream then continues bit for bit as if it had never left. Bytes that
 * are truncated, damaged, of another format version or another shape, or that hold a value no
 * stream can have, raise {@link java.lang.IllegalArgumentException} naming what is wrong, and a
 * refused open raises {@link dev.auramoe.StreamCapacityException}; either way nothing changes.
 *
 * <p>The bound on the open streams ({@link dev.auramoe.StreamLimits}) evicts idle streams or
 * refuses the open. A caller that must log each eviction ahead of it asks
 * {@link dev.auramoe.MixtureOfExperts#streamsToEvict} which streams an open would evict, evicts
 * them with {@link dev.auramoe.MixtureOfExperts#evictStream} (which tells the
 * {@link dev.auramoe.StreamEvictionListener}, then closes the stream and counts it in
 * {@code evictedStreams()}; the default stream cannot be evicted) and then opens, which then evicts
 * nothing. {@code streamsToEvict(stamp, maxStreams)} asks the same under a tighter cap than the
 * limits' (a caller whose own budget, shared by several models, has less room), with the limits'
 * idle rule and refusal: with {@code maxStreams} at the streams open it names the one stream to
 * evict so that an open adds none.
 *
 * <h2 id="expert-set">Changing the expert set</h2>
 * {@link dev.auramoe.MixtureOfExperts#withExpert}, {@code withoutExpert} and {@code withExpertRenamed}
 * return a new model and leave the old one unchanged. Everything that survives the change carries
 * over: the cell's weights, every stream's state, the router's readout and bias for the kept
 * experts, the balancer's state, the error scale, the learn-step and energy counters, the
 * temperature, router learning rate, balancing configuration, device profile, routing policy and
 * capacity limiter, the streams' recency order, the stream limits, eviction listener and eviction
 * count; routing diagnostics, when on, restart with the same window and decay (the expert count
 * differs). A new expert starts with a zero router readout, bias and input column, and in every
 * stream a recent error at the mean of the others', as {@link dev.auramoe.MixtureOfExperts#resetExpert}
 * leaves one, so the router neither favours nor avoids it; the balancer sees it at the others' mean load, so it starts neutral and then pulls
 * traffic to the expert while it is under-used. Removing an expert moves the later ones down one
 * index.
 *
 * <p>The experts of the new model are copies ({@link dev.auramoe.experts.Expert#copy()}), except an
 * added one, which the new model takes as it is. The routing policy and capacity limiter are the
 * same instances, and they hold scratch space: use one of the two models afterwards (a caller that
 * replaces one by the other should {@code close()} the old one), or give the other its own policy
 * and limiter before using both. The result is a pure function of the old model's state and the
 * change, so replaying the same change gives a bit-identical model.
 *
 * <h2 id="policies">Routing policies, capacity and windows</h2>
 * Without a policy a model routes with its built-in top-k, the allocation-free fast path. A
 * {@link dev.auramoe.routing.policy.RoutingPolicy} set with
 * {@link dev.auramoe.MixtureOfExperts#setRoutingPolicy} keeps every learned weight, the streams and
 * the balancer; it holds scratch space (give each model its own) and is a run-time choice that
 * snapshots do not save. A policy that needs the whole window (expert choice, Sinkhorn) only works
 * through {@link dev.auramoe.MixtureOfExperts#routeWindow} and
 * {@link dev.auramoe.MixtureOfExperts#learnWindow}: single-input calls then throw
 * {@link java.lang.IllegalStateException}, and {@code routeBatch} always uses the built-in top-k.
 *
 * <p>A window is routed token by token as single routes would advance the stream; padding tokens
 * ({@code valid[t] == false}) do not advance it, get no expert and are never counted as load. The
 * balancer's bias is read once, at the start of the window, and then records every real token's
 * experts. A {@link dev.auramoe.routing.policy.CapacityLimiter}
 * ({@link dev.auramoe.MixtureOfExperts#setCapacity}) applies after the policy, to window calls
 * only: a slot dropped for capacity is not computed, its token's other experts are renormalised,
 * and a token left with no expert predicts zeros and teaches nothing. Single-input calls never
 * overflow (a window of one token has room in every expert). Like the policy, the limiter holds
 * scratch space and is not saved; read its {@code lastDropped()}, {@code lastRerouted()} and
 * {@code lastCapacity()} after a call.
 */
package dev.auramoe;
