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

  /** A model of the job's settings whose router is the one learned here (nothing else of it is used). */
  private final MixtureOfExperts router;
  private float errorScale;
  private long records;
  private double squaredError;
  private final TreeMap<Long, float[]> versions = new TreeMap<>();

  private Combiner(MixtureOfExperts router) {
    this.router = router;
  }

  /** A stage that has learned nothing: the router of {@code template} (a model of the job's settings). */
  public static Combiner fresh(MixtureOfExperts template) {
    return new Combiner(template);
  }

  /**
   * Mixes and learns one routed record.
   *
   * @param predictions the chosen experts' outputs, in the order of {@code t.experts}
   * @return the squared error of the mixture's prediction
   */
  public double learn(Routed t, float[][] predictions) {
    int kk = t.experts.length;
    int out = t.y.length;
    float[] yHat = new float[out];
    for (int j = 0; j < kk; j++) {
      for (int i = 0; i < out; i++) {
        yHat[i] += t.weights[j] * predictions[j][i];
      }
    }
    double se = LearnPass.squaredError(t.y, yHat, out);
    records++;
    squaredError += se;
    if (kk == 0) {
      return se;
    }
    float[] errors = new float[kk];
    float minErr = Float.POSITIVE_INFINITY;
    float meanErr = 0f;
    for (int j = 0; j < kk; j++) {
      errors[j] = LearnPass.expertError(t.y, predictions[j], out);
      minErr = Math.min(minErr, errors[j]);
      meanErr += errors[j] / kk;
    }
    errorScale = LearnPass.nextErrorScale(errorScale, meanErr);
    float[] resp = new float[kk];
    float massChosen = LearnPass.responsibilities(t.experts, kk, t.probs, errors, minErr, errorScale, resp);
    float[] delta = new float[t.probs.length];
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
  public static Combiner fromBytes(byte[] bytes, MixtureOfExperts template) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    Combiner c = new Combiner(template);
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
