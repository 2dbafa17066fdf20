package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.flink.Assembler;
import dev.auramoe.flink.JobSummary;
import dev.auramoe.flink.ShardResult;
import java.util.ArrayList;
import java.util.List;

/** Gathers the expert-parallel job's parts when the input ends and assembles the model ({@link EpAssembly}). */
public final class EpAssembler extends Assembler<EpPart> {

  private static final long serialVersionUID = 1L;

  private final int shards;
  private final int instances;

  /** @param modelOut the snapshot file to write, or null for none */
  public EpAssembler(int shards, int instances, String modelOut) {
    super("parts", EpPart.class, modelOut);
    this.shards = shards;
    this.instances = instances;
  }

  @Override
  protected MixtureOfExperts assemble(List<EpPart> parts, JobSummary s) throws Exception {
    List<ShardResult> routes = new ArrayList<>();
    List<CombineResult> combines = new ArrayList<>();
    List<SlotResult> slots = new ArrayList<>();
    long first = Long.MAX_VALUE;
    long last = 0;
    for (EpPart p : parts) {
      if (p.route != null) {
        routes.add(p.route);
        if (p.firstMillis > 0) {
          first = Math.min(first, p.firstMillis);
        }
      } else if (p.combine != null) {
        combines.add(p.combine);
      } else {
        slots.add(p.slot);
      }
    }
    MixtureOfExperts model = EpAssembly.model(routes, combines, slots, shards);
    s.shards = shards;
    double err = 0;
    for (CombineResult c : combines) {
      last = Math.max(last, c.lastMillis);
      s.records += c.records;
      err += c.squaredError;
    }
    s.mse = s.records == 0 ? Double.NaN : err / s.records;
    s.instanceTokens = EpAssembly.instanceTokens(slots, instances);
    s.activeNanos = last > first ? (last - first) * 1_000_000 : 0;
    return model;
  }
}
