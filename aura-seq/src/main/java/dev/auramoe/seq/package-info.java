/**
 * Sequence models trained by backpropagation through time: the pieces that the multi-rate liquid
 * mixture and the spiking mixture build on.
 *
 * <p>{@link dev.auramoe.seq.Parameter} is a named float tensor with its gradient; a
 * {@link dev.auramoe.seq.Trainable} layer lists its parameters; {@link dev.auramoe.seq.Adam} updates
 * them and {@link dev.auramoe.seq.Gradients} clips their global norm; {@link dev.auramoe.seq.Init}
 * holds the seeded initialisations. The layers ({@link dev.auramoe.seq.Dense},
 * {@link dev.auramoe.seq.TrainableLiquidCell}, {@link dev.auramoe.seq.TrainableLstm},
 * {@link dev.auramoe.seq.TrainableCfcCell}) run forward over a batch, keep what their backward
 * pass needs in workspaces that grow only with the batch shape, and accumulate their gradients into
 * their parameters. {@link dev.auramoe.seq.Losses} holds the losses with their gradients.
 *
 * <p>The models ({@link dev.auramoe.seq.SequenceModel}): {@link dev.auramoe.seq.MultiRateMoE}, the
 * multi-rate mixture of liquid experts (feature attention, experts at their own time scales,
 * temporal attention, a soft or top-k gate, a head), which at one time scale is the single-rate
 * mixture; and {@link dev.auramoe.seq.RecurrentModel}, any {@link dev.auramoe.seq.SequenceLayer}
 * with a head, the monolithic liquid and LSTM baselines. docs/seq.md describes the design.
 *
 * <p>Call order per mini-batch: {@code zeroGradients → forward → loss → backward →
 * Gradients.clipGlobalNorm → Adam.step}. Nothing here is thread-safe: one trainer owns a model.
 */
package dev.auramoe.seq;
