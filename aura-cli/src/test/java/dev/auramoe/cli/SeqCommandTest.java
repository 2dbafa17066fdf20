package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.cli.seq.SeqData;
import dev.auramoe.cli.seq.SeqPlot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura seq train} and {@code aura seq bench}: the figures, the JSON keys, the pictures, the refusals. */
class SeqCommandTest {

  /** Regular sequences of 5 to 8 steps whose class is which of f1, f2 is larger on average; f3 is noise. */
  private static Path csv(Path file, int sequences, long seed) throws Exception {
    Random r = new Random(seed);
    StringBuilder b = new StringBuilder("id,f1,f2,f3,label\n");
    for (int s = 0; s < sequences; s++) {
      int label = s % 2;
      int steps = 5 + r.nextInt(4);
      for (int k = 0; k < steps; k++) {
        b.append(String.format(Locale.ROOT, "s%d,%.4f,%.4f,%.4f,%s%n", s, r.nextGaussian() + (label == 0 ? 1 : 0),
            r.nextGaussian() + (label == 1 ? 1 : 0), r.nextGaussian(), label == 0 ? "a" : "b"));
      }
    }
    Files.writeString(file, b);
    return file;
  }

  @Test
  void trainReportsTheFiguresTheJsonKeysAndThePictures(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 120, 1);
    Path test = csv(dir.resolve("test.csv"), 60, 2);
    Path json = dir.resolve("run.json");
    Path plots = dir.resolve("plots");
    CliTest.Run t = CliTest.run("seq", "train", "--train", train.toString(), "--test", test.toString(),
        "--experts", "2", "--hidden", "6", "--epochs", "3", "--min-steps", "60", "--batch", "16", "--json",
        json.toString(), "--plot", plots.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(t.out()).contains("data: train.csv / test.csv, 120 training and 60 test sequences, 3 features per step")
        .contains("mr-moe: 2 liquid experts of 6 units at time scales [1.0, 4.0]")
        .containsPattern("mr-moe: accuracy 0\\.\\d{4}, macro AUROC 0\\.\\d{4}, macro AUPRC 0\\.\\d{4}; trained");
    // 120 sequences in batches of 16 are 8 steps an epoch: 60 steps need 8 epochs, not 3.
    assertThat(t.err()).contains("epoch 8/8:").doesNotContain("epoch 9/");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    for (String key : new String[] {"accuracy", "macroAuroc", "macroAuprc", "trainSeconds", "sequencesPerSecond",
        "parameters"}) {
      assertThat(doc.has(key)).as(key).isTrue();
    }
    assertThat(doc.get("epochs")).hasSize(8);
    assertThat(doc.get("accuracy").asDouble()).as("an easy task").isGreaterThan(0.8);
    assertThat(doc.get("featureAttention").get("meanWeight").fieldNames()).toIterable()
        .containsExactly("f1", "f2", "f3");
    assertThat(doc.get("temporalAttention")).hasSize(2);
    assertThat(doc.get("expertShares")).hasSize(2);
    double shares = doc.get("expertShares").get(0).get("share").asDouble()
        + doc.get("expertShares").get(1).get("share").asDouble();
    assertThat(shares).as("the soft gate's weights sum to 1").isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    for (String png : new String[] {SeqPlot.CURVES, SeqPlot.FEATURES, SeqPlot.TEMPORAL, SeqPlot.EXPERTS}) {
      assertThat(plots.resolve(png)).isNotEmptyFile();
    }
  }

  @Test
  void theCfcBaselineTrainsInTheSameTrainer(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 60, 3);
    CliTest.Run t = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(), "--model",
        "cfc", "--lstm-hidden", "5", "--epochs", "2", "--min-steps", "0", "--batch", "16");
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(t.out()).contains("cfc: CfC cell of 5 units, last state")
        .containsPattern("cfc: accuracy 0\\.\\d{4}, macro AUROC");
  }

  @Test
  void badOptionsAreRefusedBeforeAnythingRuns(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 10, 1);
    CliTest.Run kind = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(), "--model",
        "transformer");
    assertThat(kind.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(kind.err()).contains("no model 'transformer'");
    CliTest.Run both = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(),
        "--fashion-mnist", "plain");
    assertThat(both.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(both.err()).contains("either --fashion-mnist or --train and --test");
    CliTest.Run none = CliTest.run("seq", "train");
    assertThat(none.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    CliTest.Run topK = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(),
        "--top-k", "9");
    assertThat(topK.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(topK.err()).contains("top-k must lie in [0, 4]");
    CliTest.Run missing = CliTest.run("seq", "train", "--train", dir.resolve("nope.csv").toString(), "--test",
        train.toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("nope.csv");
    // A --save that cannot be written is refused before the training, not after it.
    CliTest.Run save = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(),
        "--hidden", "2", "--epochs", "1", "--min-steps", "1", "--save", dir.toString());
    assertThat(save.exitCode()).isNotZero();
    assertThat(save.err()).contains("--save").contains("is a directory").doesNotContain("epoch 1/");
  }

  @Test
  void benchComparesTheModelsOnTheFormsAndChecksTheTargets(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isDirectory(SeqData.FASHION_MNIST), "needs " + SeqData.FASHION_MNIST_HINT);
    Path json = dir.resolve("bench.json");
    CliTest.Run b = CliTest.run("seq", "bench", "--train-size", "200", "--test-size", "100", "--epochs", "1",
        "--experts", "2", "--hidden", "4", "--lstm-hidden", "4", "--forms", "plain,events", "--models",
        "mr-moe,lstm", "--no-peer", "--json", json.toString());
    assertThat(b.exitCode()).as(b.err()).isZero();
    assertThat(b.out()).contains("data: fashion-mnist plain, 200 training and 100 test sequences")
        .contains("data: fashion-mnist events, 200 training and 100 test sequences");
    assertThat(b.err()).contains("plain: mr-moe accuracy").contains("events: mr-moe accuracy")
        .contains("note: the accuracy targets are set for the full run");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("runs")).hasSize(4);
    assertThat(doc.get("runs").get(0).get("form").asText()).isEqualTo("plain");
    assertThat(doc.get("runs").get(3).get("model").asText()).isEqualTo("lstm");
    assertThat(doc.get("checks").size()).isGreaterThanOrEqualTo(5);
    assertThat(doc.has("speed")).isFalse();
  }
}
