package dev.auramoe.flink.ep;

import java.util.List;

/** What the stages share. */
final class EpStages {

  private EpStages() {}

  /**
   * The experts' outputs of a routed record, by expert (null for an expert that did not compute it).
   *
   * @throws IllegalStateException when a chosen expert's is missing (a token lost on the way: never in a run)
   */
  static float[][] byExpert(Routed t, List<ExpertOutput> outputs) {
    float[][] p = new float[t.probs.length][];
    if (outputs != null) {
      for (ExpertOutput o : outputs) {
        for (int j = 0; j < o.experts.length; j++) {
          p[o.experts[j]] = o.predictions[j];
        }
      }
    }
    for (int e : t.experts) {
      if (p[e] == null) {
        throw new IllegalStateException("record " + t.seq + ": no output of expert " + e);
      }
    }
    return p;
  }
}
