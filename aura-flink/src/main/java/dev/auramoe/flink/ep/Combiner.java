package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.engine.LearnPass;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * A shard's combine stage in the expert-parallel layout: for each routed record, in input order, it
 * mixes the chosen experts' outputs by their gate weights (the prequential prediction), takes their
 * own errors, and teaches the shard's router toward the responsibilities, exactly as the single-JVM
 * learn step does ({@link LearnPass}'s formulas): a delta rule on the chosen experts' logits toward
 * {@code massChosen * resp_j} from the features the record was routed with. At the end of each epoch
 * in which it learned, it keeps the router as that epoch's version, which the shard's route stage takes
 * {@link EpOptions#LAG} epochs later. Not thread-safe.
 */
public final class Combiner {

  /**
   * A model of the job's settings whose router is the one learned here; its streams are the initial
   * model's, whose recent errors a stream starts from.
   */
  private final MixtureOfExperts router;
  private final long epochLength;
  /** Weight of the newest error in a stream's recent errors; 0 when the router reads none. */
  private final float recentRate;
  private float errorScale;
  private long records;
  private double squaredError;
  private final TreeMap<Long, float[]> versions = new TreeMap<>();

  /** Scratch of one record (the stage is single-threaded): the mixture, the chosen experts' errors, every expert's, the responsibilities, the router's target. */
  private final float[] yHat;
  private final float[] errors;
  private final float[] all;
  private final float[] resp;
  private final float[] delta;

  private Combiner(MixtureOfExperts router, EpOptions ep) {
    this.router = router;
    this.yHat = new float[router.outputDim()];
    this.errors = new float[router.topK()];
    this.all = new float[router.expertCount()];
    this.resp = new float[router.topK()];
    this.delta = new float[router.expertCount()];
    this.epochLength = ep.epoch();
    this.recentRate = router.config().recentErrors().enabled() ? router.config().recentErrors().rate() : 0f;
  }

  /** A stage that has learned nothing: the router of {@code template} (a model of the job's settings, not shared). */
  public static Combiner fresh(MixtureOfExperts template, EpOptions ep) {
    return new Combiner(template, ep);
  }

  /** Where the streams' recent-error histories live (the job keeps them in keyed state). */
  public interface Recents {
    /** A stream's history, or null when it has had no record here. */
    RecentHistory get(String stream) throws Exception;

    /** Stores a stream's history. */
    void put(String stream, RecentHistory history) throws Exception;
  }

  /**
   * Mixes and learns one routed record: the prediction, the chosen experts' errors, the error scale,
   * the stream's recent errors (when the router reads them: from every expert's error), the
   * responsibilities and the router's step, in the order of the single-JVM learn step.
   *
   * @param outputs the experts' outputs by expert: every chosen one's, and every one's when the router
   *     reads recent errors
   * @return the squared error of the mixture's prediction
   */
  public double learn(Routed t, float[][] outputs, Recents recents) throws Exception {
    int kk = t.experts.length;
    int out = t.y.length;
    java.util.Arrays.fill(yHat, 0f);
    for (int j = 0; j < kk; j++) {
      float[] o = outputs[t.experts[j]];
      for (int i = 0; i < out; i++) {
        yHat[i] += t.weights[j] * o[i];
      }
    }
    double se = LearnPass.squaredError(t.y, yHat, out);
    records++;
    squaredError += se;
    if (kk == 0) {
      return se;
    }
    float minErr = Float.POSITIVE_INFINITY;
    float meanErr = 0f;
    for (int j = 0; j < kk; j++) {
      errors[j] = LearnPass.expertError(t.y, outputs[t.experts[j]], out);
      minErr = Math.min(minErr, errors[j]);
      meanErr += errors[j] / kk;
    }
    errorScale = LearnPass.nextErrorScale(errorScale, meanErr);
    if (recentRate > 0f) {
      for (int e = 0; e < all.length; e++) {
        all[e] = LearnPass.expertError(t.y, outputs[e], out);
      }
      RecentHistory h = recents.get(t.stream);
      float[] r = h != null ? h.latest().clone()
          : router.hasStream(t.stream) ? router.recentErrors(t.stream) : new float[all.length];
      LearnPass.updateRecentErrors(r, all, errorScale, recentRate);
      long epoch = t.seq / epochLength;
      recents.put(t.stream, h == null ? RecentHistory.of(epoch, r) : h.with(epoch, r));
    }
    float massChosen = LearnPass.responsibilities(t.experts, kk, t.probs, errors, minErr, errorScale, resp);
    java.util.Arrays.fill(delta, 0f);
    for (int j = 0; j < kk; j++) {
      delta[t.experts[j]] = massChosen * resp[j] - t.probs[t.experts[j]];
    }
    router.teachRouter(t.h, t.x, delta, Double.POSITIVE_INFINITY);
    return se;
  }

  /** Keeps the router as the version of {@code epoch} (the stage learned in it); the oldest beyond LAG + 1 go. */
  public void endEpoch(long epoch) {
    versions.put(epoch, router.routerParameters());
    while (versions.size() > EpOptions.LAG + 1) {
      versions.pollFirstEntry();
    }
  }

  /** The version of the latest epoch {@code <= epoch}, or null. */
  public RouterVersions.Version version(long epoch) {
    Map.Entry<Long, float[]> e = versions.floorEntry(epoch);
    return e == null ? null : new RouterVersions.Version(e.getKey(), e.getValue());
  }

  /** The kept versions, oldest first. */
  public Iterable<Map.Entry<Long, float[]>> versions() {
    return versions.entrySet();
  }

  /** The router as learned so far. */
  public float[] routerParameters() {
    return router.routerParameters();
  }

  /** Records learned. */
  public long records() {
    return records;
  }

  /** Sum of the squared errors of the predictions. */
  public double squaredError() {
    return squaredError;
  }

  /** The stage's state: counters, error scale, router, versions. */
  public byte[] toBytes() {
    float[] p = router.routerParameters();
    ByteBuffer b = ByteBuffer.allocate(8 + 8 + 4 + 4 + 4 * p.length + 4 + versions.size() * (8 + 4 * p.length));
    b.putLong(records).putDouble(squaredError).putFloat(errorScale).putInt(p.length);
    for (float v : p) {
      b.putFloat(v);
    }
    b.putInt(versions.size());
    for (Map.Entry<Long, float[]> e : versions.entrySet()) {
      b.putLong(e.getKey());
      for (float v : e.getValue()) {
        b.putFloat(v);
      }
    }
    return b.array();
  }

  /** A stage from {@link #toBytes}, with {@code template} (a model of the job's settings) for its router. */
  public static Combiner fromBytes(byte[] bytes, MixtureOfExperts template, EpOptions ep) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    Combiner c = new Combiner(template, ep);
    c.records = b.getLong();
    c.squaredError = b.getDouble();
    c.errorScale = b.getFloat();
    int n = b.getInt();
    c.router.setRouterParameters(floats(b, n));
    int count = b.getInt();
    for (int i = 0; i < count; i++) {
      long epoch = b.getLong();
      c.versions.put(epoch, floats(b, n));
    }
    return c;
  }

  private static float[] floats(ByteBuffer b, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = b.getFloat();
    }
    return f;
  }
}
