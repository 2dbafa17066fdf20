package dev.auramoe.flink.ep;

import dev.auramoe.*;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.flink.*;
import java.nio.file.*;
import java.util.*;

public class ScratchProbe {
  public static void main(String[] a) throws Exception {
    int IN = 8;
    Path f = Files.createTempFile("s", ".jsonl");
    SampleRecords.write(f, 12_000, 60, IN, 5, 100);
    List<LearnRecord> recs = new ArrayList<>();
    new LearnRecords(IN, 1).forEach(f, recs::add);
    ModelOptions o = ModelOptions.of(IN, 1);
    for (boolean rec : new boolean[] {true, false}) for (Credit c : Credit.values()) {
      MixtureOfExperts m = MixtureOfExperts.builder(IN, 1).experts(Experts.nlms("e", o.experts(), IN, 1, o.mu()))
          .cell(CellConfig.DEFAULT.withHidden(o.hidden())).topK(o.topK()).routerLearningRate(o.routerLearningRate())
          .temperature(o.temperature()).seed(o.seed()).credit(c).recentErrors(rec ? Defaults.recentErrors(false) : RecentErrors.OFF).build();
      double se = 0; float[] yh = new float[1];
      for (LearnRecord r : recs) { m.ensureStream(r.stream); se += m.learn(r.stream, r.x, r.y, yh); }
      System.out.println("recent " + rec + " credit " + c + " mse " + se / recs.size());
    }
    for (int ep : new int[] {1, 16, 64, 256}) {
      EpLocalRun r = new EpLocalRun(o, 1, new EpOptions(ep, 1, 0), null);
      for (LearnRecord x : recs) r.learn(x);
      System.out.println("ep epoch " + ep + " mse " + r.mse());
    }
  }
}
