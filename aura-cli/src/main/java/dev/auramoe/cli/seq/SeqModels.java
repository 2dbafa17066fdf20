package dev.auramoe.cli.seq;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.MultiRateMoE;
import dev.auramoe.seq.RecurrentModel;
import dev.auramoe.seq.SequenceModel;
import dev.auramoe.seq.Task;
import dev.auramoe.seq.TrainableCfcCell;
import dev.auramoe.seq.TrainableLstm;
import java.util.Locale;

/**
 * The four models of the sequence commands, built from one set of knobs so that a comparison runs
 * on the same data and budget: the multi-rate mixture, the single-rate mixture (the same model at
 * one time scale), the monolithic liquid network with the multi-rate mixture's parameter count, and
 * an LSTM.
 */
public final class SeqModels {

  /** The kinds, by their command-line names. */
  public enum Kind {
    MR_MOE("mr-moe"), MOE("moe"), LIQUID("liquid"), LSTM("lstm"), CFC("cfc");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** The command-line name. */
    public String label() {
      return label;
    }

    /** The kind named {@code s} (its label, case-insensitive). */
    public static Kind parse(String s) {
      for (Kind k : values()) {
        if (k.label.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) {
          return k;
        }
      }
      throw new IllegalArgumentException("no model '" + s + "': choose mr-moe, moe, liquid, lstm or cfc");
    }
  }

  /**
   * The knobs.
   *
   * @param experts N, the mixtures' experts
   * @param hidden H of each expert
   * @param ratio the ratio of consecutive time scales of the multi-rate mixture (scales 1, r, r^2, ...)
   * @param topK the experts kept per sequence, or 0 for the soft gate
   * @param lstmHidden the LSTM's hidden size
   * @param seed the weights' seed
   */
  public record Knobs(int experts, int hidden, float ratio, int topK, int lstmHidden, long seed) {

    /** 4 experts of 64 units at scales 1, 4, 16, 64, soft gate; LSTM(128). */
    public static final Knobs DEFAULT = new Knobs(4, 64, 4f, 0, 128, 1);

    public Knobs {
      if (experts < 1 || hidden < 1 || lstmHidden < 1) {
        throw new IllegalArgumentException("need experts, hidden and lstm hidden >= 1, got " + experts + ", " + hidden
            + ", " + lstmHidden);
      }
      if (!(ratio >= 1) || !Float.isFinite(ratio)) {
        throw new IllegalArgumentException("the time scales' ratio must be finite and >= 1, got " + ratio);
      }
      if (topK < 0 || topK > experts) {
        throw new IllegalArgumentException("top-k must lie in [0, " + experts + "] (0: soft gate), got " + topK);
      }
    }
  }

  private SeqModels() {}

  /** The model of a kind for {@code features} inputs per step. */
  public static SequenceModel build(Kind kind, int features, Task task, Knobs k) {
    return switch (kind) {
      case MR_MOE -> mixture(features, task, k, k.ratio());
      case MOE -> mixture(features, task, k, 1f);
      case LIQUID -> {
        long match = mixture(features, task, k, k.ratio()).parameterCount();
        int h = RecurrentModel.liquidHiddenFor(match, features, task, false);
        yield RecurrentModel.liquid(CellConfig.DEFAULT.withHidden(h), features, task, false, k.seed());
      }
      case LSTM -> new RecurrentModel(new TrainableLstm("lstm", features, k.lstmHidden(), k.seed()), task, false,
          k.seed() + 1);
      // The CfC cell's time is the elapsed time over its time scale, 1 for a regular step (NaN): with
      // the cell's regular step as the scale, the training set's median gap (which Preprocessing makes
      // that step) is 1 as well. Its state and backbone are the LSTM's width.
      case CFC -> new RecurrentModel(new TrainableCfcCell("cfc", features, k.lstmHidden(), k.lstmHidden(),
          TrainableCfcCell.Mode.DEFAULT, CellConfig.DEFAULT.unfolds() * CellConfig.DEFAULT.dt(), k.seed()), task,
          false, k.seed() + 1);
    };
  }

  private static MultiRateMoE mixture(int features, Task task, Knobs k, float ratio) {
    MultiRateMoE.Builder b = MultiRateMoE.builder(features, task).hidden(k.hidden())
        .geometricScales(k.experts(), ratio).seed(k.seed());
    if (k.topK() > 0) {
      b.topK(k.topK());
    }
    return b.build();
  }

  /** A one-line description of a built model. */
  public static String describe(Kind kind, SequenceModel m) {
    return switch (m) {
      case MultiRateMoE mr -> String.format(Locale.ROOT, "%s: %d liquid experts of %d units at time scales %s, %s gate, "
          + "feature and temporal attention, %,d parameters", kind.label(), mr.config().experts(),
          mr.config().cell().hidden(), java.util.Arrays.toString(mr.config().scales()),
          mr.config().gate() == dev.auramoe.seq.ExpertGate.Mode.SOFT ? "soft" : "top-" + mr.config().topK(),
          mr.parameterCount());
      case RecurrentModel r -> String.format(Locale.ROOT, "%s: %s of %d units, last state, %,d parameters",
          kind.label(), r.layer() instanceof TrainableLstm ? "LSTM" : r.layer() instanceof TrainableCfcCell
              ? "CfC cell" : "liquid cell", r.layer().hidden(),
          r.parameterCount());
      default -> kind.label() + ": " + m.parameterCount() + " parameters";
    };
  }
}
