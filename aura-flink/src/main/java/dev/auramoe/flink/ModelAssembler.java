package dev.auramoe.flink;

import dev.auramoe.MixtureOfExperts;
import java.util.List;

/**
 * Gathers the shards' results when the input ends and combines them ({@link ModelIo#combine}).
 */
public final class ModelAssembler extends Assembler<ShardResult> {

  private static final long serialVersionUID = 1L;

  private final int shards;

  /** @param modelOut the snapshot file to write, or null for none */
  public ModelAssembler(int shards, String modelOut) {
    super("results", ShardResult.class, modelOut);
    this.shards = shards;
  }

  @Override
  protected MixtureOfExperts assemble(List<ShardResult> rs, JobSummary s) throws Exception {
    if (rs.size() != shards) {
      throw new IllegalStateException("the input ended with " + rs.size() + " of " + shards + " shards' models");
    }
    s.shards = shards;
    double err = 0;
    for (ShardResult r : rs) {
      s.records += r.records;
      err += r.squaredError;
      s.activeNanos = Math.max(s.activeNanos, r.activeNanos);
      s.streams += r.streams;
      s.replicaBytes += r.replicaBytes;
      s.streamBytes += r.streamBytes;
      s.checkpoints = Math.max(s.checkpoints, r.checkpoints);
      s.checkpointNanos = Math.max(s.checkpointNanos, r.checkpointNanos);
    }
    s.mse = s.records == 0 ? Double.NaN : err / s.records;
    return ModelIo.combine(rs);
  }
}
