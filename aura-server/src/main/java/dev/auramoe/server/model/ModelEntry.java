package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.server.ApiException;
import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.LearnJournal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * One named model of the registry: the {@link MixtureOfExperts}, the spec it was built from and its
 * request counters.
 *
 * <h2>Sequencing</h2>
 * Learning, predicting and stream changes (open, close, reset) take this entry's sequencing lock, so
 * the order in which learn events reach the {@link LearnJournal} is the order in which they are
 * applied, and a stream checked to be open stays open until the event is applied. Routes take only
 * the model's own lock: they run concurrently with everything and are linearizable through the
 * model. Every argument is validated before the model is touched, so a refused call changes nothing.
 *
 * <pre>{@code
 * ModelEntry e = registry.get("sensors");
 * RoutingDecision d = e.route("default", x);                       // any thread
 * LearnOutcome o = e.learn("default", xs, ys, 1, journal);         // waits for the journal
 * }</pre>
 */
public final class ModelEntry {

  private static final Pattern STREAM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  private final String name;
  private final ModelSpec spec;
  private final MixtureOfExperts model;
  private final Instant created = Instant.now();
  private final ReentrantLock sequencer = new ReentrantLock();
  private final LongAdder routes = new LongAdder();
  private final LongAdder predictions = new LongAdder();
  private final LongAdder learns = new LongAdder();

  /** The result of one learned sample: the prediction made before learning, its error and routing. */
  public record LearnedSample(float[] prediction, double squaredError, int[] experts, float[] weights) {}

  /** The result of one predicted sample, with the experts that made it. */
  public record Prediction(float[] prediction, int[] experts, float[] weights) {}

  ModelEntry(ModelSpec spec, MixtureOfExperts model) {
    this.name = spec.name();
    this.spec = spec;
    this.model = model;
  }

  /** The model's name. */
  public String name() {
    return name;
  }

  /** The spec the model was built from. */
  public ModelSpec spec() {
    return spec;
  }

  /** The live model. */
  public MixtureOfExperts model() {
    return model;
  }

  /** When the entry was created. */
  public Instant created() {
    return created;
  }

  /** Inputs routed through route and route/batch. */
  public long routes() {
    return routes.sum();
  }

  /** Inputs predicted through predict and predict/batch. */
  public long predictions() {
    return predictions.sum();
  }

  /** Samples learned and acknowledged by the journal. */
  public long learns() {
    return learns.sum();
  }

  /**
   * Checks a stream id's form.
   *
   * @throws ApiException 400 when it is malformed
   */
  public static void checkStreamId(String stream) {
    if (stream == null || !STREAM.matcher(stream).matches()) {
      throw ApiException.badRequest("stream id must be 1 to 128 characters of A-Z a-z 0-9 . _ : - starting with a"
          + " letter or digit");
    }
  }

  /**
   * Routes one input.
   *
   * @param x the input, already checked to be finite and of length inputDim; not modified
   * @throws ApiException 404 for an unknown stream
   */
  public RoutingDecision route(String stream, float[] x) {
    try {
      RoutingDecision d = model.route(stream, x);
      routes.increment();
      return d;
    } catch (NoSuchElementException e) {
      throw unknownStream(stream);
    }
  }

  /**
   * Routes {@code count} consecutive inputs of one stream.
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @param experts receives {@code count * topK} expert indices
   * @param weights receives {@code count * topK} mixing weights
   * @throws ApiException 404 for an unknown stream
   */
  public void routeBatch(String stream, float[] xs, int count, int[] experts, float[] weights) {
    try {
      model.routeBatch(stream, xs, count, experts, weights);
      routes.add(count);
    } catch (NoSuchElementException e) {
      throw unknownStream(stream);
    }
  }

  /**
   * Predicts {@code count} consecutive inputs of one stream: routes each and mixes the chosen
   * experts' outputs with the mixing weights, exactly as {@link MixtureOfExperts#predict} does (its
   * expert MACs are not metered: the core has no predict overload that also reports the routing).
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @throws ApiException 404 for an unknown stream
   */
  public List<Prediction> predict(String stream, float[] xs, int count) {
    int in = model.inputDim();
    int out = model.outputDim();
    Prediction[] result = new Prediction[count];
    RouteBuffer buf = model.newRouteBuffer();
    float[] x = new float[in];
    float[] o = new float[out];
    sequencer.lock();
    try {
      requireStream(stream);
      for (int r = 0; r < count; r++) {
        System.arraycopy(xs, r * in, x, 0, in);
        model.route(stream, x, buf);
        float[] y = new float[out];
        int k = buf.k();
        int[] chosen = Arrays.copyOf(buf.expertsArray(), k);
        float[] w = Arrays.copyOf(buf.weightsArray(), k);
        for (int j = 0; j < k; j++) {
          // Experts are read under the sequencer, which every learn of this server holds too.
          model.expert(chosen[j]).predict(x, o);
          for (int i = 0; i < out; i++) {
            y[i] += w[j] * o[i];
          }
        }
        result[r] = new Prediction(y, chosen, w);
        predictions.increment();
      }
    } finally {
      sequencer.unlock();
    }
    return List.of(result);
  }

  /**
   * Learns {@code count} consecutive samples of one stream, prequentially (predict, then learn).
   * Under the sequencing lock the stream is checked, the event is handed to the journal and then
   * applied; the journal's future is awaited after the lock is released, and only then are the
   * samples counted as learned.
   *
   * @param xs {@code count * inputDim} checked inputs; not modified
   * @param ys {@code count * outputDim} checked targets; not modified
   * @throws ApiException 404 for an unknown stream (nothing changed), 503 when the journal refuses
   *     the event (nothing changed) or fails to make it durable (learned in memory, not acknowledged)
   */
  public List<LearnedSample> learn(String stream, float[] xs, float[] ys, int count, LearnJournal journal) {
    int in = model.inputDim();
    int out = model.outputDim();
    LearnedSample[] result = new LearnedSample[count];
    CompletableFuture<Void> durable;
    sequencer.lock();
    try {
      requireStream(stream);
      byte[] event = new LearnEvent(stream, count, in, out, xs, ys).encode();
      try {
        durable = journal.record(name, event);
      } catch (RuntimeException e) {
        throw new ApiException(503, "the learn journal refused the event; nothing was learned");
      }
      for (int r = 0; r < count; r++) {
        float[] x = Arrays.copyOfRange(xs, r * in, (r + 1) * in);
        float[] y = Arrays.copyOfRange(ys, r * out, (r + 1) * out);
        MixtureOfExperts.LearnResult lr = model.learn(stream, x, y);
        result[r] = new LearnedSample(lr.prediction(), lr.squaredError(), lr.experts(), lr.weights());
      }
    } finally {
      sequencer.unlock();
    }
    try {
      durable.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      throw new ApiException(503, "the learn journal could not make the event durable; it is not acknowledged");
    }
    learns.add(count);
    return List.of(result);
  }

  /**
   * Opens a stream.
   *
   * @throws ApiException 409 when it is open already
   */
  public void openStream(String stream) {
    checkStreamId(stream);
    sequencer.lock();
    try {
      if (model.streams().contains(stream)) {
        throw ApiException.conflict("stream '" + stream + "' is already open on model '" + name + "'");
      }
      model.openStream(stream);
    } finally {
      sequencer.unlock();
    }
  }

  /**
   * Closes a stream.
   *
   * @throws ApiException 404 for an unknown stream, 400 for the default stream
   */
  public void closeStream(String stream) {
    if (MixtureOfExperts.DEFAULT_STREAM.equals(stream)) {
      throw ApiException.badRequest("the default stream cannot be closed");
    }
    sequencer.lock();
    try {
      requireStream(stream);
      model.closeStream(stream);
    } finally {
      sequencer.unlock();
    }
  }

  /**
   * Resets a stream's cell state to zero.
   *
   * @throws ApiException 404 for an unknown stream
   */
  public void resetStream(String stream) {
    sequencer.lock();
    try {
      requireStream(stream);
      model.resetStream(stream);
    } finally {
      sequencer.unlock();
    }
  }

  /** Open streams in opening order. */
  public List<String> streams() {
    return model.streams();
  }

  /**
   * Throws 404 unless the stream is open.
   *
   * @throws ApiException 404 for an unknown stream
   */
  public void requireStream(String stream) {
    if (!model.streams().contains(stream)) {
      throw unknownStream(stream);
    }
  }

  private ApiException unknownStream(String stream) {
    return ApiException.notFound("unknown stream '" + stream + "' on model '" + name + "'");
  }
}
