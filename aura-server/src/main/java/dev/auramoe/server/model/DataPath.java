package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.model.ModelEntry.Learned;
import dev.auramoe.server.model.ModelEntry.LearnedSample;
import dev.auramoe.server.model.ModelEntry.Prediction;
import dev.auramoe.server.model.ModelEntry.Routed;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The data path of one model's requests: route, route batch, predict and learn. Each is encoded
 * before the sequencer is taken, then, under it, checked against the live model and its stream,
 * handed to the journal and applied (see {@link Sequencer}); a learn is awaited until durable after
 * the lock is released. The counters of what was served live here too.
 *
 * <p>Lock order: the model's sequencer (taken spinning, as requests hold it for microseconds), then
 * the model's own lock inside each of its calls.
 */
final class DataPath {

  private final ModelEntry entry;
  private final Sequencer sequencer;
  private final LongAdder routes = new LongAdder();
  private final LongAdder predictions = new LongAdder();
  /**
   * Samples learned by the model (counted in its {@code learnSteps}) whose log write has not
   * completed, or failed: {@link #learns()} is {@code learnSteps} less these, so the two agree
   * after a restart (every replayed sample was durable) and across restores and expert changes.
   */
  private final LongAdder unacknowledged = new LongAdder();

  DataPath(ModelEntry entry, Sequencer sequencer) {
    this.entry = entry;
    this.sequencer = sequencer;
  }

  /** Inputs routed. */
  long routes() {
    return routes.sum();
  }

  /** Inputs predicted. */
  long predictions() {
    return predictions.sum();
  }

  /** Samples learned and acknowledged: see {@link ModelEntry#learns()}. */
  long learns() {
    return entry.model().learnSteps() - unacknowledged.sum();
  }

  /**
   * Routes one input; with the model's feedback on, the route is remembered for feedback under the
   * id the answer carries (after the route is applied: remembering changes nothing the log holds).
   *
   * @param x the input, already checked to be finite and of length inputDim; not modified
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  Routed route(String stream, float[] x) {
    Routed d;
    Operation op = Operation.inputs(Operation.Type.ROUTE, entry.name(), stream, 1, x.length, x.clone());
    byte[] encoded = sequencer.encodeAhead(op);
    sequencer.lockSpinning();
    try {
      entry.requireLive(stream);
      sequencer.log(op, encoded, Sequencer.REFUSED);
      RoutingDecision decision = entry.model().route(stream, x);
      sequencer.applied();
      d = new Routed(decision, entry.expertNames(), entry.feedbackPart().remember(stream, x, decision));
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      sequencer.unlock();
    }
    routes.increment();
    entry.after();
    return d;
  }

  /**
   * Routes {@code count} consecutive inputs of one stream.
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @param experts receives {@code count * topK} expert indices
   * @param weights receives {@code count * topK} mixing weights
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  void routeBatch(String stream, float[] xs, int count, int[] experts, float[] weights) {
    Operation op = Operation.inputs(Operation.Type.ROUTE_BATCH, entry.name(), stream, count, entry.spec().inputDim(),
        xs.clone());
    byte[] encoded = sequencer.encodeAhead(op);
    sequencer.lockSpinning();
    try {
      entry.requireLive(stream);
      sequencer.log(op, encoded, Sequencer.REFUSED);
      entry.model().routeBatch(stream, xs, count, experts, weights);
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      sequencer.unlock();
    }
    routes.add(count);
    entry.after();
  }

  /**
   * Predicts {@code count} consecutive inputs of one stream with {@link MixtureOfExperts#predict},
   * reporting the experts and weights that made each prediction.
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  List<Prediction> predict(String stream, float[] xs, int count) {
    int in = entry.model().inputDim();
    int out = entry.model().outputDim();
    Prediction[] result = new Prediction[count];
    float[] x = new float[in];
    Operation op = Operation.inputs(Operation.Type.PREDICT, entry.name(), stream, count, in, xs.clone());
    byte[] encoded = sequencer.encodeAhead(op);
    sequencer.lockSpinning();
    try {
      entry.requireLive(stream);
      RouteBuffer buf = entry.model().newRouteBuffer(); // sized by the expert count, which may change between calls
      sequencer.log(op, encoded, Sequencer.REFUSED);
      for (int r = 0; r < count; r++) {
        System.arraycopy(xs, r * in, x, 0, in);
        float[] y = new float[out];
        entry.model().predict(stream, x, y, buf);
        int k = buf.k();
        result[r] = new Prediction(y, Arrays.copyOf(buf.expertsArray(), k), Arrays.copyOf(buf.weightsArray(), k));
        predictions.increment();
      }
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      sequencer.unlock();
    }
    entry.after();
    return List.of(result);
  }

  /**
   * Learns {@code count} consecutive samples of one stream, prequentially (predict, then learn).
   * Under the sequencing lock the stream is checked, the operation is handed to the journal and then
   * applied; the journal's future is awaited after the lock is released, and only then are the
   * samples counted as learned.
   *
   * @param xs {@code count * inputDim} checked inputs; not modified
   * @param ys {@code count * outputDim} checked targets; not modified
   * @throws Refusal NOT_FOUND for an unknown stream (nothing changed), UNAVAILABLE when the journal
   *     refuses the event (nothing changed) or fails to make it durable (learned in memory, not acknowledged)
   */
  Learned learn(String stream, float[] xs, float[] ys, int count) {
    int in = entry.model().inputDim();
    int out = entry.model().outputDim();
    LearnedSample[] result = new LearnedSample[count];
    CompletableFuture<Long> durable;
    Operation op = Operation.learn(entry.name(), new LearnEvent(stream, count, in, out, xs.clone(), ys.clone()));
    byte[] encoded = sequencer.encodeAhead(op);
    sequencer.lockSpinning();
    try {
      entry.requireLive(stream);
      durable = sequencer.log(op, encoded, "the learn journal refused the event; nothing was learned");
      // Counted as unacknowledged before the model learns them, so that learns() never counts a
      // sample whose record is not yet durable.
      unacknowledged.add(count);
      for (int r = 0; r < count; r++) {
        float[] x = Arrays.copyOfRange(xs, r * in, (r + 1) * in);
        float[] y = Arrays.copyOfRange(ys, r * out, (r + 1) * out);
        MixtureOfExperts.LearnResult lr = entry.model().learn(stream, x, y);
        result[r] = new LearnedSample(lr.prediction(), lr.squaredError(), lr.experts(), lr.weights());
      }
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      sequencer.unlock();
    }
    long seq;
    try {
      seq = durable.join();
    } catch (CompletionException | CancellationException e) {
      throw Refusal.unavailable("the learn journal could not make the event durable; it is not acknowledged");
    }
    unacknowledged.add(-count);
    entry.after();
    return new Learned(List.of(result), seq);
  }
}
