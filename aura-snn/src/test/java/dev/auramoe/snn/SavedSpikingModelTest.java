package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.data.Standardisation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SavedSpikingModelTest {

  private static SequenceBatch images(int size, Random r) {
    SequenceBatch b = new SequenceBatch(2 * 8 * 8, 0);
    b.reshape(size, 1);
    for (int i = 0; i < size * 128; i++) {
      b.x()[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < size; i++) {
      b.labels()[i] = r.nextInt(3);
      b.elapsed()[i] = Float.NaN;
    }
    return b;
  }

  /** A trained model (moved weights, running estimates and balancer) predicts bit for bit the same after a round trip. */
  @ParameterizedTest(name = "spiking {0}")
  @ValueSource(booleans = {true, false})
  void aLoadedModelPredictsExactlyAsTheSavedOne(boolean spiking, @TempDir Path dir) throws Exception {
    SpikingMoE.Config cfg = new SpikingMoE.Config(2, 8, 8, 3, 3, 4, 8, 3, 2, 6, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 4);
    SpikingMoE model = new SpikingMoE(spiking ? cfg : cfg.twin());
    Random r = new Random(2);
    Adam adam = new Adam(model.parameters(), new Adam.Settings(1e-2f, 0.9f, 0.999f, 1e-8f, 0f));
    for (int i = 0; i < 5; i++) {
      model.trainStep(images(16, r), adam, 1.0);
    }
    assertThat(model.norms().getFirst().runningMean()).as("the running estimates moved").isNotEqualTo(new float[4]);
    assertThat(model.mixture().gate().balancer().state().tokens()).isPositive();
    Standardisation z = new Standardisation(new double[] {0.2, -0.1}, new double[] {1.5, 0.7});
    SavedSpikingModel saved = new SavedSpikingModel(model, z, List.of("a", "b", "c"), 255);
    Path file = dir.resolve("m.aurasnn");
    saved.save(file);
    SavedSpikingModel back = SavedSpikingModel.load(file);
    assertThat(back.classNames()).containsExactly("a", "b", "c");
    assertThat(back.pixelMax()).isEqualTo(255);
    assertThat(back.standardisation().mean(1)).isEqualTo(-0.1);
    assertThat(back.standardisation().std(0)).isEqualTo(1.5);
    assertThat(back.model().config()).isEqualTo(model.config());
    SequenceBatch test = images(20, r);
    float[] a = new float[60];
    float[] b = new float[60];
    model.predict(test, a);
    back.model().predict(test, b);
    assertThat(b).containsExactly(a);
    assertThat(back.model().mixture().gate().balancer().state().bias())
        .containsExactly(model.mixture().gate().balancer().state().bias());
  }

  /** A rate-coded model keeps its encoding through a round trip and predicts bit for bit the same. */
  @Test
  void aRateCodedModelRoundTrips() throws Exception {
    SpikingMoE.Config cfg = new SpikingMoE.Config(2, 8, 8, 3, 3, 4, 8, 3, 2, 6, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 4, Encoding.RATE);
    SpikingMoE model = new SpikingMoE(cfg);
    Random r = new Random(2);
    SequenceBatch test = SpikingMoETest.batch(10, 128, r, 3, true);
    SavedSpikingModel back = SavedSpikingModel.fromBytes(new SavedSpikingModel(model,
        dev.auramoe.snn.data.ChannelStandardisation.identity(2), List.of("a", "b", "c"), 255).toBytes());
    assertThat(back.model().config().encoding()).isEqualTo(Encoding.RATE);
    assertThatThrownBy(() -> new SavedSpikingModel(model, new Standardisation(new double[] {0.2, 0},
        new double[] {1, 1}), List.of("a", "b", "c"), 255)).hasMessageContaining("must be the identity");
    float[] a = new float[30];
    float[] b = new float[30];
    model.predict(test, a);
    back.model().predict(test, b);
    assertThat(b).containsExactly(a);
  }

  /** Files of version 1 (before encodings) load as direct-current models; a rate-coded model cannot be written so. */
  @Test
  void versionOneFilesLoadAsDirectCurrentModels() throws Exception {
    SpikingMoE.Config cfg = new SpikingMoE.Config(2, 8, 8, 3, 3, 4, 8, 3, 2, 6, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 4);
    Standardisation z = new Standardisation(new double[] {0.2, -0.1}, new double[] {1.5, 0.7});
    SavedSpikingModel saved = new SavedSpikingModel(new SpikingMoE(cfg), z, List.of("a", "b", "c"), Double.NaN);
    byte[] v1 = saved.toBytes(1);
    assertThat(SavedSpikingModel.FILE.version(v1)).isEqualTo(1);
    assertThat(v1.length).as("no encoding field").isLessThan(saved.toBytes().length);
    SavedSpikingModel back = SavedSpikingModel.fromBytes(v1);
    assertThat(back.model().config()).isEqualTo(cfg);
    SequenceBatch test = images(6, new Random(5));
    float[] a = new float[18];
    float[] b = new float[18];
    saved.model().predict(test, a);
    back.model().predict(test, b);
    assertThat(b).containsExactly(a);
    SavedSpikingModel rate = new SavedSpikingModel(new SpikingMoE(cfg.withEncoding(Encoding.RATE)),
        dev.auramoe.snn.data.ChannelStandardisation.identity(2),
        List.of("a", "b", "c"), Double.NaN);
    assertThatThrownBy(() -> rate.toBytes(1)).hasMessageContaining("direct-current models only");
  }

  /** The library's entry point: raw pixels in, standardised as in training, the model's probabilities out. */
  @Test
  void classifiesRawImagesAsTheModelDoesStandardisedOnes() {
    SpikingMoE model = new SpikingMoE(new SpikingMoE.Config(2, 8, 8, 3, 2, 4, 8, 3, 2, 6, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 5));
    Standardisation z = new Standardisation(new double[] {0.3, 0.6}, new double[] {0.2, 0.4});
    SavedSpikingModel saved = new SavedSpikingModel(model, z, List.of("a", "b", "c"));
    Random r = new Random(8);
    float[] raw = new float[3 * 128];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = r.nextFloat();
    }
    float[] p = saved.probabilities(raw, 3);
    SequenceBatch b = new SequenceBatch(128, 0);
    b.reshape(3, 1);
    for (int i = 0; i < raw.length; i++) {
      int channel = (i % 128) / 64;
      b.x()[i] = (float) ((raw[i] - z.mean(channel)) / z.std(channel));
    }
    float[] expected = new float[9];
    model.predict(b, expected);
    assertThat(p).containsExactly(expected);
    assertThatThrownBy(() -> saved.probabilities(new float[127], 1)).hasMessageContaining("need 128 pixels");
    raw[5] = Float.NaN;
    assertThatThrownBy(() -> saved.probabilities(raw, 3)).hasMessageContaining("pixel 5 of image 0 is NaN");
  }

  /**
   * A version-2 file whose encoding is a name this build does not know (a whole frame, its checksum
   * right) is refused as corrupt, naming the field and the value read, and nothing is returned.
   */
  @Test
  void anUnknownEncodingIsRefusedNamingTheField() throws Exception {
    SpikingMoE.Config cfg = new SpikingMoE.Config(1, 8, 8, 3, 2, 4, 8, 3, 2, 6, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 4, Encoding.RATE);
    byte[] payload = SavedSpikingModel.FILE.unframe(new SavedSpikingModel(new SpikingMoE(cfg),
        dev.auramoe.snn.data.ChannelStandardisation.identity(1), List.of("a", "b", "c"), 255).toBytes());
    String text = new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\u0000\u0004RATE");
    assertThat(at).as("the encoding's name in the payload").isPositive();
    byte[] wave = payload.clone();
    System.arraycopy("WAVE".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, wave, at + 2, 4);
    assertThatThrownBy(() -> SavedSpikingModel.fromBytes(SavedSpikingModel.FILE.frame(2, wave)))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("corrupt spiking model file")
        .hasMessageContaining("encoding 'WAVE'");
  }

  @Test
  void corruptFilesAreRefusedAndNothingIsReturned(@TempDir Path dir) throws Exception {
    SpikingMoE model = new SpikingMoE(new SpikingMoE.Config(1, 8, 8, 3, 2, 4, 8, 3, 2, 6, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 4));
    SavedSpikingModel saved = new SavedSpikingModel(model, new Standardisation(new double[] {0}, new double[] {1}),
        List.of("a", "b", "c"));
    byte[] bytes = saved.toBytes();
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 0x10;
    assertThatThrownBy(() -> SavedSpikingModel.fromBytes(flipped)).isInstanceOf(SnapshotException.class);
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 9);
    assertThatThrownBy(() -> SavedSpikingModel.fromBytes(cut)).isInstanceOf(SnapshotException.class);
    Path other = dir.resolve("not-a-model");
    Files.writeString(other, "hello, world");
    assertThatThrownBy(() -> SavedSpikingModel.load(other)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining("not-a-model");
    assertThatThrownBy(() -> new SavedSpikingModel(model, new Standardisation(new double[] {0, 0},
        new double[] {1, 1}), List.of("a", "b", "c"))).hasMessageContaining("2 channels");
    assertThatThrownBy(() -> new SavedSpikingModel(model, new Standardisation(new double[] {0}, new double[] {1}),
        List.of("a", "b"))).hasMessageContaining("2 class names for 3 classes");
    assertThatThrownBy(() -> new SavedSpikingModel(model, new Standardisation(new double[] {0}, new double[] {1}),
        List.of("a", "b", "c"), 0)).hasMessageContaining("pixel maximum");
    model.parameters().getFirst().values()[0] = Float.NaN;
    assertThatThrownBy(saved::toBytes).hasMessageContaining("conv1.W");
  }
}
