package dev.auramoe.snn;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.io.AtomicFiles;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.seq.ModelFiles;
import dev.auramoe.seq.SequenceBatch;
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
 * A trained spiking MoE (or dense twin) with what it needs to read new images as it read its
 * training images: the per-channel standardisation and the class names. Saved as one framed file and
 * loaded back into a model that predicts exactly as the saved one.
 *
 * <p><b>File.</b> The core's snapshot frame ({@link SnapshotFormat.Framing}: magic
 * {@code AURASNN\u001a}, a version, the payload's length, the payload, a CRC-32C), written through
 * {@link AtomicFiles} (a temporary file, fsync, atomic rename). The payload, version 2, big-endian:
 * <pre>
 * configuration         SpikingMoE.Config in full: image shape, classes, steps, stem, dim, experts, top-k,
 *                       expert hidden, the neurons' LifConfig, the BalanceConfig, spiking, seed, the
 *                       encoding's name (version 1 has no encoding: such files are direct-current models)
 * standardisation       channels, then per channel its mean and standard deviation (doubles)
 * class names           counted UTF strings
 * pixel maximum         the divisor of a CSV file's pixels in training (a double; NaN: pixels as read)
 * parameters            aura-seq's ModelFiles section: count, then name, shape and values of each
 * normalisations        per BatchNorm in the model's order: its running means and variances (floats)
 * balancer              the router's balancer (ModelFiles)
 * </pre>
 * A wrong magic, an unsupported version, a truncated or corrupt file, a configuration the model
 * refuses, a mismatched parameter, a non-finite value or trailing bytes is a
 * {@link SnapshotException} and nothing is returned.
 *
 * @param model the model
 * @param standardisation per channel, fitted on the training images
 * @param classNames one per class
 * @param pixelMax what the training CSV's pixels were divided by ({@code --pixel-max}), so that new
 *     files are read the same way; NaN when they were used as read (IDX files are divided by 255 by
 *     their reader)
 */
public record SavedSpikingModel(SpikingMoE model, Standardisation standardisation, List<String> classNames,
    double pixelMax) {

  /** The frame of spiking model files: magic {@code AURASNN\u001a}, version 2 (version 1 is read too). */
  public static final SnapshotFormat.Framing FILE =
      new SnapshotFormat.Framing(new byte[] {'A', 'U', 'R', 'A', 'S', 'N', 'N', 0x1A}, 2, "spiking model file");

  private static final String WHAT = "spiking model file";

  /** Validates that the parts fit together. */
  public SavedSpikingModel {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(standardisation, "standardisation");
    classNames = List.copyOf(classNames);
    if (standardisation.features() != model.config().channels()) {
      throw new IllegalArgumentException("the standardisation has " + standardisation.features()
          + " channels, the model reads " + model.config().channels());
    }
    if (classNames.size() != model.config().classes()) {
      throw new IllegalArgumentException(classNames.size() + " class names for " + model.config().classes()
          + " classes");
    }
    if (!Double.isNaN(pixelMax) && !(pixelMax > 0 && Double.isFinite(pixelMax))) {
      throw new IllegalArgumentException("the pixel maximum must be finite and > 0, or NaN for none, got " + pixelMax);
    }
    if (model.config().encoding() == Encoding.RATE) {
      for (int c = 0; c < standardisation.features(); c++) {
        if (standardisation.mean(c) != 0 || standardisation.std(c) != 1) {
          throw new IllegalArgumentException("a rate-coded model reads intensities as they are: its standardisation "
              + "must be the identity, channel " + c + " has mean " + standardisation.mean(c) + " and standard "
              + "deviation " + standardisation.std(c));
        }
      }
    }
  }

  /** A model whose training pixels were used as read. */
  public SavedSpikingModel(SpikingMoE model, Standardisation standardisation, List<String> classNames) {
    this(model, standardisation, classNames, Double.NaN);
  }

  /**
   * Class probabilities of images, standardised as the training images were: {@code images} images
   * of C H W pixels each, channels first, in the scale the image reader gave the training images
   * (IDX bytes divided by 255; a CSV file's values divided by {@link #pixelMax()} when it is set).
   *
   * @return images x classes probabilities, image-major
   * @throws IllegalArgumentException for a wrong size or a non-finite pixel (nothing is predicted)
   */
  public float[] probabilities(float[] pixels, int images) {
    SpikingMoE.Config c = model.config();
    int size = c.channels() * c.height() * c.width();
    if (images <= 0 || (long) images * size != pixels.length) {
      throw new IllegalArgumentException(images + " images of " + c.channels() + "x" + c.height() + "x" + c.width()
          + " need " + (long) images * size + " pixels, got " + pixels.length);
    }
    SequenceBatch batch = new SequenceBatch(size, 0);
    batch.reshape(images, 1);
    int plane = c.height() * c.width();
    float[] x = batch.x();
    for (int i = 0; i < pixels.length; i++) {
      float v = pixels[i];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("pixel " + i % size + " of image " + i / size + " is " + v);
      }
      int channel = (i % size) / plane;
      x[i] = (float) ((v - standardisation.mean(channel)) / standardisation.std(channel));
    }
    java.util.Arrays.fill(batch.elapsed(), 0, images, Float.NaN);
    java.util.Arrays.fill(batch.labels(), 0, images, -1);
    float[] out = new float[images * c.classes()];
    model.predict(batch, out);
    return out;
  }

  /** Writes the file atomically (a reader sees the old file or the new one). */
  public void save(Path file) throws IOException {
    AtomicFiles.write(file, toBytes());
  }

  /** The framed bytes of the file, in the latest version. */
  public byte[] toBytes() throws SnapshotException {
    return toBytes(FILE.latestVersion());
  }

  /** The framed bytes in an older version (to check that such files still load); refuses what it cannot hold. */
  byte[] toBytes(int version) throws SnapshotException {
    ModelFiles.checkFinite(model.parameters());
    ByteArrayOutputStream bytes = SnapshotFormat.newPayload();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      SpikingMoE.Config c = model.config();
      out.writeInt(c.channels());
      out.writeInt(c.height());
      out.writeInt(c.width());
      out.writeInt(c.classes());
      out.writeInt(model.steps());
      out.writeInt(c.stemChannels());
      out.writeInt(c.dim());
      out.writeInt(c.experts());
      out.writeInt(c.topK());
      out.writeInt(c.expertHidden());
      LifConfig n = c.neurons();
      out.writeFloat(n.tau());
      out.writeFloat(n.threshold());
      out.writeUTF(n.reset().name());
      out.writeUTF(n.surrogate().name());
      out.writeFloat(n.alpha());
      out.writeBoolean(n.detachReset());
      BalanceConfig b = c.balance();
      out.writeBoolean(b.enabled());
      out.writeDouble(b.gamma());
      out.writeDouble(b.decay());
      out.writeDouble(b.biasCap());
      out.writeLong(b.warmupTokens());
      out.writeBoolean(b.frozen());
      out.writeBoolean(c.spiking());
      out.writeLong(c.seed());
      if (version >= 2) {
        out.writeUTF(c.encoding().name());
      } else if (c.encoding() != Encoding.DIRECT) {
        throw new IllegalArgumentException("version 1 files hold direct-current models only, this one is "
            + c.encoding());
      }
      out.writeInt(standardisation.features());
      for (int i = 0; i < standardisation.features(); i++) {
        out.writeDouble(standardisation.mean(i));
        out.writeDouble(standardisation.std(i));
      }
      ModelFiles.writeStrings(out, classNames);
      out.writeDouble(pixelMax);
      ModelFiles.writeParameters(out, model.parameters());
      for (BatchNorm bn : model.norms()) {
        for (float v : bn.runningMean()) {
          out.writeFloat(v);
        }
        for (float v : bn.runningVariance()) {
          out.writeFloat(v);
        }
      }
      ModelFiles.writeBalancer(out, model.mixture().gate().balancer());
    } catch (SnapshotException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return FILE.frame(version, bytes.toByteArray());
  }

  /**
   * Loads a model saved by {@link #save}.
   *
   * @throws SnapshotException for a file that is not a valid spiking model file (nothing returned)
   */
  public static SavedSpikingModel load(Path file) throws IOException {
    return ModelFiles.load(file, SavedSpikingModel::fromBytes);
  }

  /** Parses the bytes of {@link #toBytes}. */
  public static SavedSpikingModel fromBytes(byte[] framed) throws SnapshotException {
    // The version is read once the frame is known to be whole.
    return ModelFiles.read(FILE, framed, WHAT, (in, payload) -> parse(in, payload, FILE.version(framed)));
  }

  private static SavedSpikingModel parse(DataInputStream in, int payload, int version) throws IOException {
    int channels = in.readInt();
    int height = in.readInt();
    int width = in.readInt();
    int classes = in.readInt();
    int steps = in.readInt();
    int stem = in.readInt();
    int dim = in.readInt();
    int experts = in.readInt();
    int topK = in.readInt();
    int hidden = in.readInt();
    LifConfig neurons = new LifConfig(in.readFloat(), in.readFloat(), LifConfig.Reset.valueOf(in.readUTF()),
        Surrogate.valueOf(in.readUTF()), in.readFloat(), in.readBoolean());
    BalanceConfig balance = new BalanceConfig(in.readBoolean(), in.readDouble(), in.readDouble(), in.readDouble(),
        in.readLong(), in.readBoolean());
    boolean spiking = in.readBoolean();
    long seed = in.readLong();
    Encoding encoding = version >= 2 ? Encoding.named(in.readUTF()) : Encoding.DIRECT;
    SpikingMoE.Config c = new SpikingMoE.Config(channels, height, width, classes, steps, stem, dim, experts, topK,
        hidden, neurons, balance, spiking, seed, encoding);
    // A corrupt size must not build a model too large for memory before its values are found missing.
    long weights = (long) stem * dim * 9 + (long) dim * dim * 4 + (long) experts * dim * hidden * 2
        + (long) c.tokens() * dim * classes;
    if (weights > payload / 4) {
      throw ModelFiles.corrupt(WHAT, "sizes larger than its " + payload + " bytes hold");
    }
    SpikingMoE model = new SpikingMoE(c);
    int f = ModelFiles.checkedLength(in.readInt(), payload / 16, WHAT);
    double[] mean = new double[f];
    double[] std = new double[f];
    for (int i = 0; i < f; i++) {
      mean[i] = in.readDouble();
      std[i] = in.readDouble();
    }
    Standardisation z = new Standardisation(mean, std);
    List<String> names = ModelFiles.readStrings(in, payload, WHAT);
    double pixelMax = in.readDouble();
    ModelFiles.readParameters(in, model.parameters(), WHAT);
    for (BatchNorm bn : model.norms()) {
      readFinite(in, bn.runningMean(), "running mean");
      readFinite(in, bn.runningVariance(), "running variance");
      for (float v : bn.runningVariance()) {
        if (v < 0) {
          throw ModelFiles.corrupt(WHAT, "a negative running variance " + v);
        }
      }
    }
    ModelFiles.readBalancer(in, model.mixture().gate().balancer(), experts, WHAT);
    return new SavedSpikingModel(model, z, names, pixelMax);
  }

  private static void readFinite(DataInputStream in, float[] into, String what) throws IOException {
    for (int i = 0; i < into.length; i++) {
      into[i] = in.readFloat();
      if (!Float.isFinite(into[i])) {
        throw ModelFiles.corrupt(WHAT, "a " + what + " of " + into[i]);
      }
    }
  }
}
