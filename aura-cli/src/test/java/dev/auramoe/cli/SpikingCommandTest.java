package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.cli.snn.SpikingPlot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura spiking train} and {@code aura spiking classify}: figures, JSON keys, pictures, a saved model, refusals. */
class SpikingCommandTest {

  /** 8x8 images, pixels 0..255, whose class is the lit quarter. */
  private static Path csv(Path file, int images, long seed) throws Exception {
    Random r = new Random(seed);
    StringBuilder b = new StringBuilder("label");
    for (int p = 0; p < 64; p++) {
      b.append(",p").append(p);
    }
    b.append('\n');
    String[] names = {"top-left", "top-right", "bottom-left", "bottom-right"};
    for (int i = 0; i < images; i++) {
      int q = r.nextInt(4);
      b.append(names[q]);
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          boolean lit = (y < 4 ? 0 : 2) + (x < 4 ? 0 : 1) == q;
          int v = (int) Math.max(0, Math.min(255, (lit ? 170 : 40) + 40 * r.nextGaussian()));
          b.append(',').append(v);
        }
      }
      b.append('\n');
    }
    Files.writeString(file, b);
    return file;
  }

  @Test
  void trainReportsTheFiguresTheJsonKeysThePicturesAndSavesAModel(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 256, 1);
    Path test = csv(dir.resolve("test.csv"), 96, 2);
    Path json = dir.resolve("run.json");
    Path plots = dir.resolve("plots");
    Path model = dir.resolve("m.aurasnn");
    CliTest.Run t = CliTest.run("spiking", "train", "--train", train.toString(), "--test", test.toString(),
        "--pixel-max", "255", "--epochs", "4", "--batch", "32", "--lr", "0.005", "--dim", "8", "--stem", "4",
        "--expert-hidden", "8", "--experts", "3", "--json", json.toString(), "--plot", plots.toString(), "--save",
        model.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(t.out()).contains("256 training and 96 test images of 1x8x8, 4 classes")
        .containsPattern("spiking MoE: accuracy 0\\.\\d{4}, [0-9.]+ [nu]J per image")
        .contains("dense twin:").contains("T = 8:");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    for (String key : new String[] {"accuracy", "synapticOpsPerSample", "energyPerSampleJoules",
        "routerEnergyPerSampleJoules", "denseAccuracy", "denseEnergyPerSampleJoules", "trainSeconds"}) {
      assertThat(doc.has(key)).as(key).isTrue();
    }
    assertThat(doc.get("accuracy").asDouble()).as("an easy task").isGreaterThan(0.8);
    assertThat(doc.get("routerEnergyPerSampleJoules").asDouble())
        .as("the spiking router costs less than a third of the dense one")
        .isLessThan(doc.get("denseRouterEnergyPerSampleJoules").asDouble() / 3);
    assertThat(doc.get("timeStepSweep")).hasSize(4);
    assertThat(doc.get("expertLoad")).hasSize(3);
    assertThat(doc.get("energyProfile").get("basis").asText()).contains("Horowitz");
    for (String png : new String[] {SpikingPlot.ENERGY, SpikingPlot.FIRING, SpikingPlot.USAGE}) {
      assertThat(plots.resolve(png)).isNotEmptyFile();
    }
    // No --pixel-max: the saved model reads the file as its training file was read.
    CliTest.Run c = CliTest.run("spiking", "classify", "--model", model.toString(), "--input", test.toString());
    assertThat(c.exitCode()).as(c.err()).isZero();
    assertThat(c.out().lines().count()).isEqualTo(97);
    assertThat(c.out()).startsWith("image,predicted,probability,label");
    double accuracy = Double.parseDouble(c.err().replaceAll("(?s).*accuracy ([0-9.]+).*", "$1").trim());
    assertThat(accuracy).as("the saved model classifies as the trained one").isEqualTo(
        doc.get("accuracy").asDouble(), org.assertj.core.data.Offset.offset(5.1e-5));
  }

  /** Rate coding: intensities as Bernoulli spikes; the first convolution accumulates too; the saved model keeps it. */
  @Test
  void rateCodedModelTrainsAndClassifies(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 256, 1);
    Path test = csv(dir.resolve("test.csv"), 96, 2);
    Path json = dir.resolve("run.json");
    Path model = dir.resolve("m.aurasnn");
    CliTest.Run t = CliTest.run("spiking", "train", "--train", train.toString(), "--test", test.toString(),
        "--pixel-max", "255", "--encoding", "rate", "--steps", "8", "--no-twin", "--epochs", "4", "--batch", "32",
        "--lr", "0.005", "--dim", "8", "--stem", "4", "--expert-hidden", "8", "--experts", "3", "--balance", "even",
        "--json", json.toString(), "--save", model.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("encoding").asText()).isEqualTo("rate");
    assertThat(doc.get("balance").asText()).isEqualTo("even");
    assertThat(doc.get("accuracy").asDouble()).as("an easy task").isGreaterThan(0.7);
    assertThat(doc.get("firingRates").has("input")).isTrue();
    long tokens = 4;
    assertThat(doc.get("macsPerSample").asDouble()).as("only the router's softmax multiplies").isEqualTo(tokens * 3);
    CliTest.Run c = CliTest.run("spiking", "classify", "--model", model.toString(), "--input", test.toString());
    assertThat(c.exitCode()).as(c.err()).isZero();
    double accuracy = Double.parseDouble(c.err().replaceAll("(?s).*accuracy ([0-9.]+).*", "$1").trim());
    assertThat(accuracy).isEqualTo(doc.get("accuracy").asDouble(), org.assertj.core.data.Offset.offset(5.1e-5));
  }

  @Test
  void badOptionsAreRefusedBeforeAnythingRuns(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 20, 1);
    CliTest.Run noTest = CliTest.run("spiking", "train", "--train", train.toString());
    assertThat(noTest.exitCode()).isEqualTo(2);
    assertThat(noTest.err()).contains("--test is needed with a training file");
    CliTest.Run profile = CliTest.run("spiking", "train", "--train", train.toString(), "--test", train.toString(),
        "--profile", "tpu");
    assertThat(profile.exitCode()).isEqualTo(2);
    assertThat(profile.err()).contains("unknown energy profile 'tpu'");
    CliTest.Run topK = CliTest.run("spiking", "train", "--train", train.toString(), "--test", train.toString(),
        "--top-k", "9");
    assertThat(topK.exitCode()).isEqualTo(2);
    assertThat(topK.err()).contains("top-k must be in [1, 4]");
    for (String[] bad : new String[][] {{"--shape", "0x8x8", "channels, height and width > 0"},
        {"--shape", "8by8", "is not C x H x W"}, {"--pixel-max", "0", "largest pixel value must be finite and > 0"},
        {"--steps", "0", "time steps must be in [1, 64]"}, {"--batch", "0", "batchSize >= 1"},
        {"--dim", "0", "dim 0"}, {"--balance", "max", "--balance must be default, even or off"},
        {"--encoding", "poisson", "--encoding must be direct or rate"},
        {"--encoding", "rate", "rate coding reads pixel intensities in [0, 1], these images range over [0.0, "}}) {
      CliTest.Run run = CliTest.run("spiking", "train", "--train", train.toString(), "--test", train.toString(),
          bad[0], bad[1]);
      assertThat(run.exitCode()).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(run.err()).as(String.join(" ", bad)).contains(bad[2]).contains("--help");
    }
    CliTest.Run missing = CliTest.run("spiking", "classify", "--model", dir.resolve("none").toString(), "--input",
        train.toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--model: no such file");
  }
}
