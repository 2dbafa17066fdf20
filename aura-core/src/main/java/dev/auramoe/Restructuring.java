package dev.auramoe;

import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.experts.Expert;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a mixture with a different set of experts from an existing one, carrying every piece of
 * state that survives the change (see {@link MixtureOfExperts#withExpert}). Called under the source
 * model's lock; the source is read, never written.
 *
 * <p>Each expert of the new model comes from an index of the old one ({@code from[j] >= 0}: its
 * learned state, router readout column, router bias, input column of the router and balancer entry
 * are copied) or is fresh ({@code from[j] == -1}): zero router readout, bias and input column, so the
 * router neither favours nor avoids it (as {@link MixtureOfExperts#resetExpert} leaves an expert),
 * balancer bias 0, selection count 0 and a moving-average load equal to the mean of the others, so
 * that the balancer starts neutral towards it.
 */
final class Restructuring {

  private Restructuring() {}

  static MixtureOfExperts rebuild(MixtureOfExperts m, List<Expert> experts, int[] from) {
    MoeConfig c = m.config();
    MoeConfig nc = new MoeConfig(c.inputDim(), c.outputDim(), c.cell(), c.topK(), m.temperature, c.routerUsesInput(),
        m.routerLearningRate, c.credit(), m.balancer.config(), c.attention(), m.meter.profile(), c.seed());
    MixtureOfExperts n = new MixtureOfExperts(nc, experts);
    int oldE = m.experts.length;
    int newE = experts.size();
    int hidden = c.cell().hidden();
    int in = c.inputDim();

    LiquidCell oc = m.cell();
    LiquidCell cc = n.cell();
    float[] proj = cc.projection().clone();
    float[] oldProj = oc.projection();
    int ow = oc.width();
    int nw = cc.width();
    for (int i = 0; i < in; i++) {
      System.arraycopy(oldProj, i * ow, proj, i * nw, 2 * hidden);
      if (c.routerUsesInput()) {
        for (int j = 0; j < newE; j++) {
          proj[i * nw + 2 * hidden + j] = from[j] >= 0 ? oldProj[i * ow + 2 * hidden + from[j]] : 0f;
        }
      }
    }
    cc.setWeights(proj, oc.recurrent(), oc.driveBias(), oc.tauBias());

    for (int i = 0; i < hidden; i++) {
      for (int j = 0; j < newE; j++) {
        n.readout[i * newE + j] = from[j] >= 0 ? m.readout[i * oldE + from[j]] : 0f;
      }
    }
    for (int j = 0; j < newE; j++) {
      n.routerBias[j] = from[j] >= 0 ? m.routerBias[from[j]] : 0f;
    }
    n.errorScale = m.errorScale;
    n.learnSteps = m.learnSteps;

    BalanceState bs = m.balancer.state();
    float meanLoad = 0f;
    for (float l : bs.load()) {
      meanLoad += l;
    }
    meanLoad /= oldE;
    float[] bias = new float[newE];
    float[] load = new float[newE];
    long[] counts = new long[newE];
    for (int j = 0; j < newE; j++) {
      if (from[j] >= 0) {
        bias[j] = bs.bias()[from[j]];
        load[j] = bs.load()[from[j]];
        counts[j] = bs.counts()[from[j]];
      } else {
        load[j] = meanLoad;
      }
    }
    n.balancer.restore(bias, load, counts, bs.tokens(), bs.biasUpdates());

    n.streams.clear();
    for (MixtureOfExperts.StreamState s : m.streams.values()) {
      MixtureOfExperts.StreamState t = new MixtureOfExperts.StreamState(s.id, hidden, c.attention());
      t.routes = s.routes;
      System.arraycopy(s.h, 0, t.h, 0, hidden);
      if (s.attention != null) {
        t.attention.restore(s.attention.activeIds(), s.attention.activePotentials(), s.attention.steps());
      }
      n.streams.put(t.id, t);
    }
    n.streams.copyRecency(m.streams);
    n.meter.restoreCounters(m.meter.rawCounters());
    return n;
  }

  /** {@code from} for a model whose first {@code kept} experts keep their index, the rest fresh. */
  static int[] sameIndices(int kept, int length) {
    int[] from = new int[length];
    for (int i = 0; i < length; i++) {
      from[i] = i < kept ? i : -1;
    }
    return from;
  }

  /** The experts of {@code m} copied (state included), for a new model. */
  static List<Expert> copies(MixtureOfExperts m) {
    List<Expert> l = new ArrayList<>(m.experts.length + 1);
    for (Expert e : m.experts) {
      l.add(e.copy());
    }
    return l;
  }
}
