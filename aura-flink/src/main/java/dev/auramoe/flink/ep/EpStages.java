package dev.auramoe.flink.ep;

import java.util.List;

/** What the stages share. */
final class EpStages {

  private EpStages() {}

  /**
   * The chosen experts' outputs of a routed record, in the order of its experts.
   *
   * @throws IllegalStateException when one is missing (a token lost on the way: never in a run)
   */
  static float[][] predictions(Routed t, List<ExpertOutput> outputs) {
    float[][] p = new float[t.experts.length][];
    if (outputs != null) {
      for (ExpertOutput o : outputs) {
        for (int j = 0; j < t.experts.length; j++) {
          if (t.experts[j] == o.expert) {
            p[j] = o.prediction;
          }
        }
      }
    }
    for (int j = 0; j < p.length; j++) {
      if (p[j] == null) {
        throw new IllegalStateException("record " + t.seq + ": no output of expert " + t.experts[j]);
      }
    }
    return p;
  }
}
