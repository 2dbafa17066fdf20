package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.experts.Experts;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.routing.RouteBuffer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and loading sequence models: bit-identical predictions, every corruption refused, the gating cell. */
class SavedSequenceModelTest {

  @Test
  void everyParameterOfAModelHasItsOwnName() {
    for (String kind : SavedModels.kinds()) {
      SequenceModel m = SavedModels.build(kind);
      Set<String> names = new HashSet<>();
      for (Parameter p : m.parameters()) {
        assertThat(names.add(p.name())).as(kind + ": " + p.name() + " named twice").isTrue();
      }
    }
    MultiRateMoE mr = (MultiRateMoE) SavedModels.build("mr-moe");
    assertThat(mr.expert(1).inputWeights().name()).isEqualTo("expert1.U");
    assertThat(new TrainableLiquidCell(dev.auramoe.cell.CellConfig.DEFAULT, 2, 1).parameters().getFirst().name())
        .isEqualTo("liquid.U");
  }

  @Test
  void aLoadedModelPredictsBitForBitAsTheSavedOne(@TempDir Path dir) throws IOException {
    for (String kind : SavedModels.kinds()) {
      SavedSequenceModel saved = SavedModels.trained(kind);
      if (kind.equals("mr-moe-top1")) {
        float[] bias = ((MultiRateMoE) saved.model()).gate().balancer().biasArray();
        assertThat(bias).as("the training steps moved the balancing bias").isNotEqualTo(new float[bias.length]);
      }
      Path file = dir.resolve(kind + ".seq");
      saved.save(file);
      SavedSequenceModel loaded = SavedSequenceModel.load(file);
      assertThat(loaded.kind()).isEqualTo(saved.kind());
      assertThat(loaded.preprocessing()).isEqualTo(saved.preprocessing());
      assertThat(loaded.featureNames()).isEqualTo(saved.featureNames());
      assertThat(loaded.classNames()).isEqualTo(saved.classNames());
      List<Parameter> a = saved.model().parameters();
      List<Parameter> b = loaded.model().parameters();
      assertThat(b).hasSameSizeAs(a);
      for (int i = 0; i < a.size(); i++) {
        assertThat(b.get(i).name()).isEqualTo(a.get(i).name());
        assertThat(b.get(i).values()).as(kind + " " + a.get(i).name()).isEqualTo(a.get(i).values());
      }
      if (saved.model() instanceof MultiRateMoE mr) {
        assertThat(((MultiRateMoE) loaded.model()).config().toString().replaceAll("\\[F@\\w+", ""))
            .isEqualTo(mr.config().toString().replaceAll("\\[F@\\w+", ""));
        assertThat(((MultiRateMoE) loaded.model()).gate().balancer().state().bias())
            .isEqualTo(mr.gate().balancer().state().bias());
      }
      SequenceBatch test = SavedModels.batch(SavedModels.IN, 16, 12, new Random(5));
      float[] p = new float[16 * 3];
      float[] q = new float[16 * 3];
      saved.model().predict(test, p);
      loaded.model().predict(test, q);
      assertThat(q).as(kind + ": the same outputs, bit for bit").isEqualTo(p);
    }
  }

  @Test
  void aTopKModelLoadedWithoutItsBalancerWouldPredictOtherwise() throws IOException {
    // Guards the test above: the balancer's state matters to top-k predictions here.
    SavedSequenceModel saved = SavedModels.trained("mr-moe-top1");
    SavedSequenceModel loaded = SavedSequenceModel.fromBytes(saved.toBytes());
    ((MultiRateMoE) loaded.model()).gate().balancer().reset();
    SequenceBatch test = SavedModels.batch(SavedModels.IN, 64, 12, new Random(5));
    float[] p = new float[64 * 3];
    float[] q = new float[64 * 3];
    saved.model().predict(test, p);
    loaded.model().predict(test, q);
    assertThat(q).isNotEqualTo(p);
  }

  @Test
  void everyCorruptFileIsRefusedClearly(@TempDir Path dir) throws IOException {
    SavedSequenceModel saved = SavedModels.trained("mr-moe-top1");
    byte[] good = saved.toBytes();
    byte[] payload = SavedSequenceModel.FILE.unframe(good);

    byte[] magic = good.clone();
    magic[3] = 'X';
    refused(magic, "bad magic");
    byte[] version = good.clone();
    ByteBuffer.wrap(version).putInt(8, 2);
    refused(version, "unsupported sequence model file format version 2");
    refused(java.util.Arrays.copyOf(good, good.length - 9), "truncated");
    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    refused(flipped, "checksum");
    refused(SavedSequenceModel.FILE.frame(1, java.util.Arrays.copyOf(payload, payload.length - 3)), "ends early");
    byte[] trailing = java.util.Arrays.copyOf(payload, payload.length + 1);
    refused(SavedSequenceModel.FILE.frame(1, trailing), "trailing bytes");
    refused(SavedSequenceModel.FILE.frame(1, replaceUtf(payload, "mr-moe", "lstm!!")), "unknown model kind");
    refused(SavedSequenceModel.FILE.frame(1, replaceUtf(payload, "expert1.W", "expert1.X")), "expert1.X");
    refused(SavedSequenceModel.FILE.frame(1, nanFirstParameterValue(saved, payload)), "NaN");
    // A snapshot of the core's on-line mixture is not a sequence model file.
    refused(dev.auramoe.io.SnapshotFormat.frame(1, payload), "bad magic");

    Path file = dir.resolve("model.seq");
    Files.write(file, flipped);
    assertThatThrownBy(() -> SavedSequenceModel.load(file)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void aModelHoldingANonFiniteValueIsNotSaved(@TempDir Path dir) throws IOException {
    SavedSequenceModel saved = SavedModels.trained("liquid");
    Path file = dir.resolve("model.seq");
    saved.save(file);
    byte[] before = Files.readAllBytes(file);
    Parameter w = saved.model().parameters().get(2);
    w.values()[3] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(() -> saved.save(file)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining(w.name()).hasMessageContaining("Infinity");
    assertThat(Files.readAllBytes(file)).as("the old file stays").isEqualTo(before);
    assertThat(Files.list(dir).count()).as("no temporary file left").isEqualTo(1);
  }

  @Test
  void partsThatDoNotFitAreRefused() {
    SequenceModel m = SavedModels.build("lstm");
    assertThatThrownBy(() -> new SavedSequenceModel(m, SavedModels.preprocessing(), List.of("a", "b"),
        List.of("x", "y", "z"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("feature names");
    assertThatThrownBy(() -> new SavedSequenceModel(m, SavedModels.preprocessing(), List.of("a", "b", "c"),
        List.of("x"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("class");
    assertThatThrownBy(() -> new SavedSequenceModel(SavedModels.build("liquid"), new dev.auramoe.seq.data.Preprocessing(
        new dev.auramoe.seq.data.Standardisation(new double[] {0, 0, 0}, new double[] {1, 1, 1}), Double.NaN, 0.02,
        false), List.of("a", "b", "c"), List.of("x", "y", "z"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reads 4");
  }

  @Test
  void aTrainedExpertsCellGatesTheOnlineMixtureWhichRoutesAndLearnsWithIt() throws IOException {
    SavedSequenceModel saved = SavedSequenceModel.fromBytes(SavedModels.trained("mr-moe").toBytes());
    int experts = 3;
    LiquidCell cell = saved.gatingCell(experts);
    MultiRateMoE mr = (MultiRateMoE) saved.model();
    assertThat(cell.hidden()).isEqualTo(mr.config().cell().hidden());
    // The mixture appends the model's elapsed time to the features: its experts read one more input.
    int in = SavedModels.IN + 1;
    assertThat(cell.inputDim()).isEqualTo(in);
    assertThat(cell.recurrent()).as("the fastest expert's weights").isEqualTo(mr.expert(0).recurrentWeights().values());
    MixtureOfExperts m = MixtureOfExperts.builder(in, 1)
        .experts(Experts.nlms("e", experts, in, 1, 0.5)).topK(2).gatingCell(cell).seed(3).build();
    assertThat(m.hidden()).isEqualTo(cell.hidden());
    Random r = new Random(9);
    float[] yHat = new float[1];
    double early = 0;
    double late = 0;
    for (int t = 0; t < 3000; t++) {
      float[] x = new float[in];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float y = 2 * x[1] - x[2] + 0.5f * x[0];
      m.learn(MixtureOfExperts.DEFAULT_STREAM, x, new float[] {y}, yHat);
      double err = Math.abs(yHat[0] - y);
      if (t < 300) {
        early += err;
      } else if (t >= 2700) {
        late += err;
      }
    }
    assertThat(m.state(MixtureOfExperts.DEFAULT_STREAM)).isNotEqualTo(new float[cell.hidden()]);
    assertThat(late).as("the mixture learns with the trained cell").isLessThan(0.2 * early);
    RouteBuffer b = m.newRouteBuffer();
    m.route(MixtureOfExperts.DEFAULT_STREAM, new float[in], b);
    assertThat(b.k()).isEqualTo(2);
    assertThat(SavedModels.trained("liquid").gatingCell(0).hidden()).isEqualTo(7);
    assertThatThrownBy(() -> SavedModels.trained("lstm").gatingCell(0)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lstm");
  }

  private static void refused(byte[] file, String message) {
    assertThatThrownBy(() -> SavedSequenceModel.fromBytes(file)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining(message);
  }

  /** The payload with one UTF string replaced by another of the same length. */
  private static byte[] replaceUtf(byte[] payload, String from, String to) {
    byte[] f = from.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] t = to.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] out = payload.clone();
    for (int i = 0; i + f.length <= out.length; i++) {
      if (java.util.Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
        System.arraycopy(t, 0, out, i, t.length);
        return out;
      }
    }
    throw new AssertionError(from + " not in the payload");
  }

  /** The payload with the first parameter's first value NaN: found after the first parameter's name and shape. */
  private static byte[] nanFirstParameterValue(SavedSequenceModel saved, byte[] payload) throws IOException {
    Parameter p = saved.model().parameters().getFirst();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try (DataOutputStream o = new DataOutputStream(head)) {
      o.writeUTF(p.name());
      o.writeInt(p.shape().length);
      for (int d : p.shape()) {
        o.writeInt(d);
      }
    }
    byte[] h = head.toByteArray();
    byte[] out = payload.clone();
    for (int i = 0; i + h.length <= out.length; i++) {
      if (java.util.Arrays.equals(out, i, i + h.length, h, 0, h.length)) {
        ByteBuffer.wrap(out).putFloat(i + h.length, Float.NaN);
        try (DataInputStream check = new DataInputStream(new ByteArrayInputStream(out, i + h.length, 4))) {
          assertThat(check.readFloat()).isNaN();
        }
        return out;
      }
    }
    throw new AssertionError("first parameter not in the payload");
  }
}
