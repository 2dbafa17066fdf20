/**
 * The engine behind {@link dev.auramoe.MixtureOfExperts}: <b>internal</b>, not part of the API.
 * Its types are public only so that the facade in {@code dev.auramoe} can use them; no public
 * signature outside this package mentions them, they may change in any release, and a module
 * descriptor does not export the package.
 *
 * <h2>Where each concept lives</h2>
 * <ul>
 *   <li>{@link dev.auramoe.engine.ModelState}: everything a model holds, declared once; snapshots
 *       ({@link dev.auramoe.engine.SnapshotCodec}), expert-set changes
 *       ({@link dev.auramoe.engine.ModelState#withExperts}) and digests derive from it.
 *   <li>{@link dev.auramoe.engine.Router}: readout, bias and input columns of the router; logits and
 *       its local update.
 *   <li>{@link dev.auramoe.engine.ExpertPool}: the named experts; mixing and their learning.
 *   <li>{@link dev.auramoe.engine.Streams}: the open streams ({@code StreamState} each), their recency
 *       order, the bound on them with the eviction of idle ones, and export and import of one
 *       stream's state, whose byte form ({@code StreamStateCodec}) also writes each stream's fields
 *       in snapshots.
 *   <li>{@link dev.auramoe.engine.RoutePass}: probabilities and selection, for single inputs,
 *       batches and windows, with the run-time routing choices (policy, capacity, diagnostics).
 *   <li>{@link dev.auramoe.engine.LearnPass}: prediction and the learn step.
 *   <li>{@link dev.auramoe.engine.AsyncLearner}: the learning thread of {@code learnAsync}.
 *   <li>{@link dev.auramoe.engine.Arguments}: the checks of callers' arguments.
 * </ul>
 * The gating cell is {@link dev.auramoe.cell.GatingCell} (public: users may implement it).
 *
 * <h2>Data path</h2>
 * <pre>
 * route:  MixtureOfExperts.route → Arguments → lock → RoutePass.route
 *           → GatingCell.project → GatingCell.advance → SpikingAttention (gain) → Router.logits
 *           → softmax → TopK.selectByScore (or the RoutingPolicy) → LoadBalancer.record → Streams.routed
 * learn:  MixtureOfExperts.learn → Arguments → lock → LearnPass.learn → RoutePass.route (as above)
 *           → ExpertPool.mix → responsibilities → ExpertPool.learn → Router.learn
 * </pre>
 * Nothing here is thread-safe on its own: the facade calls it under the model's lock (the
 * {@code AsyncLearner} excepted).
 */
package dev.auramoe.engine;
