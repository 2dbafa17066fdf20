package dev.auramoe.flink;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The job's models as single-JVM snapshots: the shards' results combined into one model (the rule of
 * {@link #combine}).
 */
public final class ModelIo {

  /** The job's models hold NLMS experts only; no function expert is ever looked up. */
  public static final Function<String, FunctionExpert.VectorFunction> NO_FUNCTIONS = name -> null;

  private ModelIo() {}

  /**
   * One model from the shards' results, ordered by shard. With one shard it is that shard's model, bit
   * for bit. With several, the replicas are combined by this rule:
   * <ul>
   * <li>the base is the replica of the shard that learned the most records (the lowest index on a tie):
   *     its cell (which no learn step changes), balancer, error scale and counters are kept;
   * <li>the router's parameters and every adaptive expert's state (an NLMS expert's weights) are the
   *     mean of the replicas', each weighted by the records its shard learned (equal weights when
   *     none learned anything);
   * <li>the streams are exact: each stream lived in one shard only, so its state is copied as it is,
   *     shard after shard; the default stream comes from the shard it belongs to.
   * </ul>
   *
   * @throws SnapshotException when a result's bytes do not load
   * @throws IllegalArgumentException when the shards are not 0, 1, ... in order or the models differ
   *     in shape
   */
  public static MixtureOfExperts combine(List<ShardResult> results) throws SnapshotException {
    List<ShardResult> rs = new ArrayList<>(results);
    rs.sort(Comparator.comparingInt(r -> r.shard));
    for (int i = 0; i < rs.size(); i++) {
      if (rs.get(i).shard != i) {
        throw new IllegalArgumentException("the shards' results are not shards 0.." + (rs.size() - 1) + ": "
            + rs.stream().map(r -> r.shard).toList());
      }
    }
    List<MixtureOfExperts> models = new ArrayList<>();
    for (ShardResult r : rs) {
      models.add(Snapshots.fromBytes(r.model, NO_FUNCTIONS));
    }
    if (models.size() == 1) {
      return models.getFirst();
    }
    int baseIndex = 0;
    long total = 0;
    for (int i = 0; i < rs.size(); i++) {
      total += rs.get(i).records;
      if (rs.get(i).records > rs.get(baseIndex).records) {
        baseIndex = i;
      }
    }
    double[] w = new double[rs.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = total == 0 ? 1.0 / w.length : (double) rs.get(i).records / total;
    }
    MixtureOfExperts base = Snapshots.fromBytes(rs.get(baseIndex).model, NO_FUNCTIONS);
    for (MixtureOfExperts m : models) {
      if (m.expertCount() != base.expertCount() || m.inputDim() != base.inputDim()
          || m.outputDim() != base.outputDim() || m.hidden() != base.hidden()) {
        throw new IllegalArgumentException("the shards' models differ in shape");
      }
    }
    float[] router = new float[base.routerParameters().length];
    List<float[]> routers = models.stream().map(MixtureOfExperts::routerParameters).toList();
    weightedMean(routers, w, router);
    base.setRouterParameters(router);
    for (int e = 0; e < base.expertCount(); e++) {
      if (base.expert(e) instanceof AdaptiveExpert a) {
        List<float[]> states = new ArrayList<>();
        for (MixtureOfExperts m : models) {
          states.add(((AdaptiveExpert) m.expert(e)).state());
        }
        float[] s = new float[states.getFirst().length];
        weightedMean(states, w, s);
        a.setState(s);
      }
    }
    for (String s : base.streams()) {
      if (!s.equals(MixtureOfExperts.DEFAULT_STREAM)) {
        base.closeStream(s);
      }
    }
    int defaultShard = Shards.shardOf(MixtureOfExperts.DEFAULT_STREAM, models.size());
    base.importStream(MixtureOfExperts.DEFAULT_STREAM,
        models.get(defaultShard).exportStream(MixtureOfExperts.DEFAULT_STREAM));
    for (MixtureOfExperts m : models) {
      for (String s : m.streams()) {
        if (!s.equals(MixtureOfExperts.DEFAULT_STREAM)) {
          base.importStream(s, m.exportStream(s));
        }
      }
    }
    return base;
  }

  /** {@code out[j] = sum_i w[i] vs[i][j]}, summed in double in the order of the list. */
  public static void weightedMean(List<float[]> vs, double[] w, float[] out) {
    for (int j = 0; j < out.length; j++) {
      double acc = 0;
      for (int i = 0; i < vs.size(); i++) {
        acc += w[i] * vs.get(i)[j];
      }
      out[j] = (float) acc;
    }
  }
}
