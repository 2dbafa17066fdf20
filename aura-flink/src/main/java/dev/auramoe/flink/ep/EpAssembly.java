package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.flink.ModelIo;
import dev.auramoe.flink.ShardResult;
import dev.auramoe.io.SnapshotException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The expert-parallel job's model from its parts: each shard's replica (cell, balancer, streams) with
 * the router and the streams' recent errors its combine stage learned, combined over the shards by the data-parallel rule
 * ({@link ModelIo#combine}: routers weighted by records, streams exact), and each expert the mean of
 * its replicas' states weighted by the tokens each learned (an expert that learned from no token
 * keeps its initial state).
 */
public final class EpAssembly {

  private EpAssembly() {}

  /** The model; {@link IllegalStateException} when a shard's route part is missing. */
  public static MixtureOfExperts model(List<ShardResult> routes, List<CombineResult> combines, List<SlotResult> slots,
      int shards) throws SnapshotException {
    Map<Integer, CombineResult> byShard = new HashMap<>();
    for (CombineResult c : combines) {
      byShard.put(c.shard, c);
    }
    List<ShardResult> rs = new ArrayList<>();
    for (ShardResult r : routes) {
      MixtureOfExperts m = Snapshots.fromBytes(r.model, ModelIo.NO_FUNCTIONS);
      CombineResult c = byShard.get(r.shard);
      long records = 0;
      double se = 0;
      if (c != null) {
        m.setRouterParameters(c.router);
        for (int i = 0; i < c.streams.length; i++) {
          m.setRecentErrors(c.streams[i], c.recent[i]);
        }
        records = c.records;
        se = c.squaredError;
      }
      rs.add(new ShardResult(r.shard, records, se, Snapshots.toBytes(m)));
    }
    if (rs.size() != shards) {
      throw new IllegalStateException("the input ended with " + rs.size() + " of " + shards + " shards' models");
    }
    MixtureOfExperts base = ModelIo.combine(rs);
    List<SlotResult> sorted = new ArrayList<>(slots);
    sorted.sort(Comparator.comparingInt((SlotResult s) -> s.expert).thenComparingInt(s -> s.instance));
    for (int e = 0; e < base.expertCount(); e++) {
      // By the tokens each replica learned, not those it computed: a replica that only predicted (for
      // the streams' recent errors) holds its initial state, which would pull the expert back to it.
      List<float[]> states = new ArrayList<>();
      List<Long> learned = new ArrayList<>();
      long total = 0;
      for (SlotResult s : sorted) {
        if (s.expert == e && s.learned > 0) {
          states.add(s.state);
          learned.add(s.learned);
          total += s.learned;
        }
      }
      if (total == 0) {
        continue;
      }
      double[] w = new double[learned.size()];
      for (int i = 0; i < w.length; i++) {
        w[i] = (double) learned.get(i) / total;
      }
      float[] mean = new float[states.getFirst().length];
      ModelIo.weightedMean(states, w, mean);
      ((AdaptiveExpert) base.expert(e)).setState(mean);
    }
    return base;
  }

  /** Tokens each instance computed, from the replicas' counts. */
  public static long[] instanceTokens(List<SlotResult> slots, int instances) {
    long[] t = new long[instances];
    for (SlotResult s : slots) {
      t[s.instance] += s.tokens;
    }
    return t;
  }
}
