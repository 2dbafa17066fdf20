package dev.auramoe.seq;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.io.AtomicFiles;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.seq.data.Preprocessing;
import dev.auramoe.seq.data.Standardisation;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A trained sequence model with what it needs to read new data as it read its training data: the
 * {@link Preprocessing} fitted on the training set, the raw features' names and the class names (or
 * the regression targets' names). Saved as one framed file and loaded back into a model that predicts
 * exactly as the saved one, bit for bit.
 *
 * <p><b>File.</b> The frame of the core's snapshots ({@link SnapshotFormat.Framing}: magic
 * {@code AURASEQ\u001a}, a version, the payload's length, the payload, a CRC-32C), written as the core
 * writes snapshots ({@link AtomicFiles}: a temporary file beside the target, fsync, atomic rename), so a
 * reader sees the old file or the new one. The payload, version 1, big-endian as
 * {@link DataOutputStream} writes it:
 * <pre>
 * kind                        UTF: mr-moe, moe (a MultiRateMoE), liquid, lstm, cfc (a RecurrentModel)
 * configuration               MultiRateMoE.Config in full (input width, task, CellConfig, scales, gate,
 *                             top-k, BalanceConfig, both attentions, attention width, elapsed feature,
 *                             seed); or the recurrent model's task, temporal attention, and its layer's
 *                             name, input width, hidden size and own knobs (the liquid cell's CellConfig;
 *                             the CfC cell's backbone width, mode and time scale)
 * preprocessing               the standardisation's means and standard deviations (doubles), the median
 *                             gap, the cell's step, the elapsed feature
 * feature names, class names  counted UTF strings
 * parameters                  count, then per parameter in the model's order: name, shape, values (floats)
 * balancer                    (mixtures) the top-k balancer's bias, load, counts, tokens and updates
 * </pre>
 * The optimiser's moments are not saved: a loaded model predicts and scores; training it further
 * starts a new {@link Adam}.
 *
 * <p><b>Loading</b> rebuilds the model from its configuration and fills every parameter, checking
 * each name and shape against the rebuilt model's; a wrong magic, an unsupported version, a
 * truncated or corrupt file, a configuration the model refuses, a mismatched parameter, a non-finite
 * value or trailing bytes is a {@link SnapshotException} and nothing is returned. Saving refuses a
 * model holding a non-finite value (naming the parameter) before anything is written.
 *
 * @param model the model, a {@link MultiRateMoE} or a {@link RecurrentModel} over a
 *     {@link TrainableLiquidCell}, {@link TrainableLstm} or {@link TrainableCfcCell}
 * @param preprocessing what the raw inputs go through; its {@link Preprocessing#features()} must be
 *     the model's input width
 * @param featureNames the raw features' names, one per standardised feature
 * @param classNames the class names of a classification (one per class), or the targets' names of a
 *     regression (one per target, or none)
 */
public record SavedSequenceModel(SequenceModel model, Preprocessing preprocessing, List<String> featureNames,
    List<String> classNames) {

  /** The frame of sequence model files: magic {@code AURASEQ\u001a}, version 1. */
  public static final SnapshotFormat.Framing FILE =
      new SnapshotFormat.Framing(new byte[] {'A', 'U', 'R', 'A', 'S', 'E', 'Q', 0x1A}, 1, "sequence model file");

  /** What the messages call these files. */
  private static final String WHAT = "sequence model file";

  /** Validates that the parts fit together. */
  public SavedSequenceModel {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(preprocessing, "preprocessing");
    featureNames = List.copyOf(featureNames);
    classNames = List.copyOf(classNames);
    kindOf(model);
    if (preprocessing.features() != model.inputDim()) {
      throw new IllegalArgumentException("the preprocessing gives " + preprocessing.features() + " features per step, "
          + "the model reads " + model.inputDim());
    }
    if (featureNames.size() != preprocessing.standardisation().features()) {
      throw new IllegalArgumentException(featureNames.size() + " feature names for "
          + preprocessing.standardisation().features() + " features");
    }
    Task task = model.task();
    if (task.kind() == Task.Kind.CLASSIFICATION ? classNames.size() != task.outputs()
        : !classNames.isEmpty() && classNames.size() != task.outputs()) {
      throw new IllegalArgumentException(classNames.size() + " class or target names for a task of "
          + task.outputs() + " outputs");
    }
  }

  /** The model's kind: mr-moe, moe (a mixture whose experts all run at scale 1), liquid, lstm or cfc. */
  public String kind() {
    return kindOf(model);
  }

  /** Features per raw step, before preprocessing. */
  public int rawFeatures() {
    return preprocessing.standardisation().features();
  }

  private static String kindOf(SequenceModel m) {
    if (m instanceof MultiRateMoE mr) {
      for (float s : mr.config().scales()) {
        if (s != 1f) {
          return "mr-moe";
        }
      }
      return "moe";
    }
    if (m instanceof RecurrentModel r) {
      return switch (r.layer()) {
        case TrainableLiquidCell c -> "liquid";
        case TrainableLstm l -> "lstm";
        case TrainableCfcCell c -> "cfc";
        default -> throw new IllegalArgumentException("cannot save a recurrent model over "
            + r.layer().getClass().getSimpleName());
      };
    }
    throw new IllegalArgumentException("cannot save a " + m.getClass().getSimpleName()
        + ": a MultiRateMoE or a RecurrentModel is saved");
  }

  /**
   * The liquid cell that can serve as the gating cell of the core's on-line mixture
   * ({@code MixtureOfExperts.builder(...).gatingCell(saved.gatingCell(extra))}), its weights copied
   * ({@link TrainableLiquidCell#toGatingCell}): a mixture's fastest expert (the smallest time scale,
   * the first of equal ones; its time constants span the fastest rates), or the liquid baseline's cell. It reads the model's inputs: the
   * preprocessed features, with the elapsed feature when the preprocessing or the mixture appends it.
   *
   * @param extra the router's extra projection columns (one per expert of the on-line mixture when its
   *     router reads x, else 0)
   * @throws IllegalStateException for an LSTM or a CfC model, which has no liquid cell
   */
  public LiquidCell gatingCell(int extra) {
    return switch (model) {
      case MultiRateMoE mr -> {
        float[] s = mr.config().scales();
        int fastest = 0;
        for (int k = 1; k < s.length; k++) {
          if (s[k] < s[fastest]) {
            fastest = k;
          }
        }
        yield mr.expert(fastest).toGatingCell(extra);
      }
      case RecurrentModel r when r.layer() instanceof TrainableLiquidCell c -> c.toGatingCell(extra);
      default -> throw new IllegalStateException("a " + kind() + " model has no liquid cell to gate with");
    };
  }

  // ------------------------------------------------------------------ writing

  /**
   * Writes the model to {@code file} (temporary file, fsync, atomic rename).
   *
   * @throws SnapshotException (nothing written) when a parameter or the balancer holds a non-finite value
   */
  public void save(Path file) throws IOException {
    AtomicFiles.write(file, toBytes());
  }

  /** The framed bytes {@link #save} writes. */
  public byte[] toBytes() throws SnapshotException {
    ModelFiles.checkFinite(model.parameters());
    ByteArrayOutputStream bytes = SnapshotFormat.newPayload();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      String kind = kind();
      out.writeUTF(kind);
      switch (model) {
        case MultiRateMoE mr -> writeMixture(out, mr.config());
        case RecurrentModel r -> writeRecurrent(out, r);
        default -> throw new IllegalStateException("checked by the constructor");
      }
      Standardisation st = preprocessing.standardisation();
      out.writeInt(st.features());
      for (int i = 0; i < st.features(); i++) {
        out.writeDouble(st.mean(i));
        out.writeDouble(st.std(i));
      }
      out.writeDouble(preprocessing.medianGap());
      out.writeDouble(preprocessing.cellStep());
      out.writeBoolean(preprocessing.elapsedFeature());
      ModelFiles.writeStrings(out, featureNames);
      ModelFiles.writeStrings(out, classNames);
      ModelFiles.writeParameters(out, model.parameters());
      if (model instanceof MultiRateMoE mr) {
        ModelFiles.writeBalancer(out, mr.gate().balancer());
      }
    } catch (SnapshotException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return FILE.frame(1, bytes.toByteArray());
  }

  private static void writeMixture(DataOutputStream out, MultiRateMoE.Config c) throws IOException {
    out.writeInt(c.inputDim());
    writeTask(out, c.task());
    writeCell(out, c.cell());
    float[] s = c.scales();
    out.writeInt(s.length);
    for (float v : s) {
      out.writeFloat(v);
    }
    out.writeUTF(c.gate().name());
    out.writeInt(c.topK());
    BalanceConfig b = c.balance();
    out.writeBoolean(b.enabled());
    out.writeDouble(b.gamma());
    out.writeDouble(b.decay());
    out.writeDouble(b.biasCap());
    out.writeLong(b.warmupTokens());
    out.writeBoolean(b.frozen());
    out.writeBoolean(c.featureAttention());
    out.writeBoolean(c.temporalAttention());
    out.writeInt(c.attentionDim());
    out.writeBoolean(c.elapsedFeature());
    out.writeLong(c.seed());
  }

  private static void writeRecurrent(DataOutputStream out, RecurrentModel r) throws IOException {
    writeTask(out, r.task());
    out.writeBoolean(r.temporalAttention() != null);
    SequenceLayer layer = r.layer();
    out.writeInt(layer.inputDim());
    out.writeInt(layer.hidden());
    switch (layer) {
      case TrainableLiquidCell c -> {
        out.writeUTF(c.name());
        writeCell(out, c.config());
      }
      case TrainableLstm l -> out.writeUTF(l.name());
      case TrainableCfcCell c -> {
        out.writeUTF(c.name());
        out.writeInt(c.backboneUnits());
        out.writeUTF(c.mode().name());
        out.writeFloat(c.timeScale());
      }
      default -> throw new IllegalStateException("checked by the constructor");
    }
  }

  private static void writeTask(DataOutputStream out, Task t) throws IOException {
    out.writeUTF(t.kind().name());
    out.writeInt(t.size());
  }

  private static void writeCell(DataOutputStream out, CellConfig c) throws IOException {
    out.writeInt(c.hidden());
    out.writeUTF(c.type().name());
    out.writeFloat(c.tauMin());
    out.writeFloat(c.tauMax());
    out.writeFloat(c.dt());
    out.writeInt(c.unfolds());
    out.writeInt(c.maxStepsPerInput());
    out.writeFloat(c.inputScale());
    out.writeFloat(c.recurrentScale());
  }

  // ------------------------------------------------------------------ reading

  /**
   * Loads a model saved by {@link #save}.
   *
   * @throws SnapshotException for a file that is not a valid sequence model file (nothing returned)
   */
  public static SavedSequenceModel load(Path file) throws IOException {
    return ModelFiles.load(file, SavedSequenceModel::fromBytes);
  }

  /** Parses the bytes of {@link #toBytes}. */
  public static SavedSequenceModel fromBytes(byte[] framed) throws SnapshotException {
    return ModelFiles.read(FILE, framed, WHAT, SavedSequenceModel::parse);
  }

  private static SavedSequenceModel parse(DataInputStream in, int payload) throws IOException {
    String kind = in.readUTF();
    SequenceModel model = switch (kind) {
      case "mr-moe", "moe" -> new MultiRateMoE(readMixture(in, payload));
      case "liquid", "lstm", "cfc" -> readRecurrent(in, kind, payload);
      default -> throw corrupt("unknown model kind " + kind);
    };
    if (!kindOf(model).equals(kind)) {
      throw corrupt("kind " + kind + " does not match its configuration (" + kindOf(model) + ")");
    }
    int f = checkedLength(in.readInt(), payload / 16);
    double[] mean = new double[f];
    double[] std = new double[f];
    for (int i = 0; i < f; i++) {
      mean[i] = in.readDouble();
      std[i] = in.readDouble();
    }
    Preprocessing pre = new Preprocessing(new Standardisation(mean, std), in.readDouble(), in.readDouble(),
        in.readBoolean());
    List<String> features = ModelFiles.readStrings(in, payload, WHAT);
    List<String> classes = ModelFiles.readStrings(in, payload, WHAT);
    ModelFiles.readParameters(in, model.parameters(), WHAT);
    if (model instanceof MultiRateMoE mr) {
      ModelFiles.readBalancer(in, mr.gate().balancer(), mr.config().experts(), WHAT);
    }
    return new SavedSequenceModel(model, pre, features, classes);
  }

  private static MultiRateMoE.Config readMixture(DataInputStream in, int payload) throws IOException {
    int inputDim = in.readInt();
    Task task = readTask(in);
    CellConfig cell = readCell(in);
    float[] scales = new float[checkedLength(in.readInt(), payload / 4)];
    for (int k = 0; k < scales.length; k++) {
      scales[k] = in.readFloat();
    }
    fits(payload, inputDim + 1L, cell.hidden(), (long) cell.hidden() * cell.hidden() * scales.length);
    ExpertGate.Mode gate = ExpertGate.Mode.valueOf(in.readUTF());
    int topK = in.readInt();
    BalanceConfig balance = new BalanceConfig(in.readBoolean(), in.readDouble(), in.readDouble(), in.readDouble(),
        in.readLong(), in.readBoolean());
    return new MultiRateMoE.Config(inputDim, task, cell, scales, gate, topK, balance, in.readBoolean(),
        in.readBoolean(), in.readInt(), in.readBoolean(), in.readLong());
  }

  private static RecurrentModel readRecurrent(DataInputStream in, String kind, int payload) throws IOException {
    Task task = readTask(in);
    boolean attention = in.readBoolean();
    int inputDim = in.readInt();
    int hidden = in.readInt();
    String name = in.readUTF();
    fits(payload, inputDim, hidden, (long) hidden * hidden);
    // The seeds only fill weights that the file's values replace.
    SequenceLayer layer = switch (kind) {
      case "liquid" -> {
        CellConfig cell = readCell(in);
        if (cell.hidden() != hidden) {
          throw corrupt("the liquid cell's hidden size " + cell.hidden() + " differs from the layer's " + hidden);
        }
        yield new TrainableLiquidCell(name, cell, inputDim, 0L);
      }
      case "lstm" -> new TrainableLstm(name, inputDim, hidden, 0L);
      default -> new TrainableCfcCell(name, inputDim, hidden, in.readInt(),
          TrainableCfcCell.Mode.valueOf(in.readUTF()), in.readFloat(), 0L);
    };
    return new RecurrentModel(layer, task, attention, 0L);
  }

  /**
   * Refuses sizes whose weights could not be in the payload (a corrupt size would otherwise build a
   * model too large for memory before its values are found missing).
   */
  private static void fits(int payload, long inputDim, long hidden, long recurrent) throws SnapshotException {
    long floats = payload / 4;
    if (inputDim <= 0 || hidden <= 0 || inputDim * hidden > floats || recurrent > floats) {
      throw corrupt("sizes (" + inputDim + " inputs, " + hidden + " units) larger than its " + payload + " bytes hold");
    }
  }

  private static Task readTask(DataInputStream in) throws IOException {
    return new Task(Task.Kind.valueOf(in.readUTF()), in.readInt());
  }

  private static CellConfig readCell(DataInputStream in) throws IOException {
    return new CellConfig(in.readInt(), CellType.valueOf(in.readUTF()), in.readFloat(), in.readFloat(),
        in.readFloat(), in.readInt(), in.readInt(), in.readFloat(), in.readFloat());
  }

  private static int checkedLength(int n, int max) throws SnapshotException {
    return ModelFiles.checkedLength(n, max, WHAT);
  }

  private static SnapshotException corrupt(String what) {
    return ModelFiles.corrupt(WHAT, what);
  }
}
