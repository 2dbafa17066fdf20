package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextBenchCommandTest {

  private static final String[][] WORDS = {
    {"recipe", "oven", "flour", "butter", "bake", "simmer", "garlic", "onion", "pan", "soup", "bread", "salt"},
    {"planet", "orbit", "rocket", "galaxy", "star", "comet", "telescope", "moon", "astronaut", "nebula", "gravity",
        "launch"},
    {"bank", "loan", "interest", "stock", "market", "price", "budget", "invoice", "tax", "profit", "dollar",
        "credit"},
  };
  private static final String[] CATEGORIES = {"kitchen", "space", "money"};
  private static final int PER_CATEGORY = 50;
  private static final List<String> ALL = List.of("liquid-labels", "liquid-feedback", "liquid-labels-no-attention",
      "liquid-feedback-no-attention", "logistic", "logistic-adagrad", "nearest-centroid", "tf-idf", "random");

  @TempDir
  static Path shared;

  static Path data;

  /** A held-out-style data set in fortune format: three categories of distinct vocabulary. */
  @BeforeAll
  static void writeData() throws Exception {
    data = Files.createDirectory(shared.resolve("data"));
    SplittableRandom r = new SplittableRandom(5);
    for (int k = 0; k < CATEGORIES.length; k++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < PER_CATEGORY; i++) {
        String[] w = WORDS[k];
        sb.append("The ").append(w[r.nextInt(w.length)]).append(" and the ").append(w[r.nextInt(w.length)])
            .append(" were all about ").append(w[r.nextInt(w.length)]).append(".\n\t\t-- Anonymous\n%\n");
      }
      Files.writeString(data.resolve(CATEGORIES[k]), sb.toString());
    }
  }

  @Test
  void aRunOnAnotherDataSetWritesEveryFigureTheJsonAndThePictures(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("text.json");
    Path plots = dir.resolve("plots");
    CliTest.Run r = CliTest.run("text-bench", "--data", data.toString(), "--no-progress", "--json", json.toString(),
        "--plot", plots.toString(), "--check");
    assertThat(r.out()).contains("aura text-bench: 3 categories, 150 quotes of " + data)
        .contains("spiking attention, learning from labels", "spiking attention, learning from feedback");
    for (String name : ALL) {
      assertThat(r.out()).contains(name + " ");
    }

    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(CliTest.fieldNames(doc)).contains("data", "categories", "quotes", "seed", "embeddingSeconds",
        "contestants", "attention", "checks", "checkLines", "offTarget");
    assertThat(doc.get("offTarget")).extracting(JsonNode::asText).containsExactly("--data " + data);
    JsonNode checks = doc.get("checks");
    assertThat(CliTest.fieldNames(checks)).containsExactly("labelsWithin2PointsOfLogistic",
        "feedbackAtLeast85PercentOfLogistic", "routerShareUnder2Percent");
    boolean allPassed = true;
    for (JsonNode c : checks) {
      assertThat(c.isBoolean()).isTrue();
      allPassed &= c.asBoolean();
    }
    // The share depends on this machine's speed: whatever it is, --check exits 1 exactly when a target failed.
    assertThat(r.exitCode()).as(r.err()).isEqualTo(allPassed ? 0 : 1);
    assertThat(r.err()).containsPattern("(PASS|FAIL) liquid-labels accuracy >= logistic accuracy - 2 points");
    assertThat(doc.get("attention").get("labels").get("accuracyOn").isNumber()).isTrue();
    assertThat(doc.get("attention").get("feedback").get("accuracyOff").isNumber()).isTrue();
    assertThat(doc.get("quotes").asInt()).isEqualTo(150);
    assertThat(doc.get("categories")).hasSize(3);
    assertThat(doc.get("embeddingSeconds").asDouble()).isPositive();
    JsonNode cs = doc.get("contestants");
    for (String name : ALL) {
      JsonNode c = cs.get(name);
      assertThat(c).as(name).isNotNull();
      assertThat(CliTest.fieldNames(c)).as(name).contains("accuracy", "accuracyLast2000", "macroF1", "regret",
          "textsPerSecond", "routerShareOfTime", "routerShareOfCpuTime", "learningCurve", "confusion");
      assertThat(c.get("routerShareOfTime").asDouble()).as(name).isBetween(0.0, 1.0);
      assertThat(c.get("textsPerSecond").asDouble()).as(name).isPositive();
      long total = 0;
      for (JsonNode row : c.get("confusion")) {
        for (JsonNode v : row) {
          total += v.asLong();
        }
      }
      assertThat(total).as(name).isEqualTo(150);
    }
    // Each category has its own words: every learner from labels finds them, random does not.
    for (String name : List.of("liquid-labels", "liquid-labels-no-attention", "logistic", "nearest-centroid",
        "tf-idf")) {
      assertThat(cs.get(name).get("accuracy").asDouble()).as(name).isGreaterThan(0.75);
      assertThat(cs.get(name).get("regret").isNull()).as(name).isTrue();
    }
    for (String name : List.of("liquid-feedback", "liquid-feedback-no-attention")) {
      double a = cs.get(name).get("accuracy").asDouble();
      assertThat(a).as(name).isGreaterThan(0.5);
      assertThat(cs.get(name).get("regret").asLong()).as(name).isEqualTo(Math.round(150 * (1 - a)));
    }
    double random = cs.get("random").get("accuracy").asDouble();
    assertThat(random).isLessThan(0.55);
    assertThat(cs.get("random").get("regret").asLong()).isEqualTo(Math.round(150 * (1 - random)));

    for (String f : List.of("text-curves.png", "text-confusion.png")) {
      Path png = plots.resolve(f);
      assertThat(r.err()).contains("wrote " + png);
      BufferedImage image = ImageIO.read(png.toFile());
      assertThat(image).as(f).isNotNull();
      assertThat(image.getWidth()).isGreaterThanOrEqualTo(600);
    }
  }

  @Test
  void moreCategoriesThanTheDataHasAreRefused() {
    CliTest.Run r = CliTest.run("text-bench", "--data", data.toString(), "--categories", "4", "--no-progress");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("cannot keep the 4 largest categories of " + data + ": it has 3");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void aMissingDataDirectoryIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    CliTest.Run r = CliTest.run("text-bench", "--data", missing.toString(), "--no-progress");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains(missing + ": no such directory");
  }

  @Test
  void missingDefaultDataSaysHowToInstallIt(@TempDir Path dir) {
    assertThatThrownBy(() -> TextBenchCommand.read(dir.resolve("fortunes"), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no fortunes data at " + dir.resolve("fortunes"))
        .hasMessageContaining("apt-get install -y fortunes").hasMessageContaining("--data DIR");
  }

  @Test
  void badOptionsAreRefusedBeforeAnythingIsRead() {
    CliTest.Run r = CliTest.run("text-bench", "--data", data.toString(), "--categories", "1");
    assertThat(r.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(r.err()).contains("--categories must be at least 2");
    r = CliTest.run("text-bench", "--data", data.toString(), "--quotes", "3");
    assertThat(r.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(r.err()).contains("--quotes must be at least 10");
  }

  @Test
  void aRunWithAnotherReferenceIsNotTheRunTheTargetsAreSetFor() {
    assertThat(parsed().offTarget()).as("the default run").isEmpty();
    assertThat(parsed("--seed", "3").offTarget()).as("another order of the same quotes").isEmpty();
    // A weaker reference (a rate far from the one chosen) would let the targets pass that the default run misses.
    assertThat(parsed("--logistic-rate", "0.03").offTarget()).containsExactly("--logistic-rate 0.03");
    assertThat(parsed("--logistic-rate", String.valueOf(dev.auramoe.cli.text.OnlineLogistic.DEFAULT_RATE))
        .offTarget()).isEmpty();
    assertThat(parsed("--quick").offTarget()).containsExactly("--quick");
    assertThat(parsed("--categories", "10").offTarget()).as("the targets' own number of categories").isEmpty();
    assertThat(parsed("--categories", "5", "--quotes", "500", "--data", data.toString()).offTarget())
        .containsExactly("--data " + data, "--categories 5", "--quotes 500");
  }

  private static TextBenchCommand parsed(String... args) {
    TextBenchCommand c = new TextBenchCommand();
    new picocli.CommandLine(c).parseArgs(args);
    return c;
  }

  @Test
  void theRouterLearnedFromLabelsIsSavedForTextRoute(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("fortunes.auratxt");
    CliTest.Run r = CliTest.run("text-bench", "--data", data.toString(), "--no-progress", "--save-router",
        file.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    dev.auramoe.text.TextRouter saved = dev.auramoe.text.TextRouter.load(file);
    assertThat(saved.experts()).extracting(dev.auramoe.text.ExpertDescriptor::name)
        .containsExactlyInAnyOrder(CATEGORIES);
    assertThat(saved.attention()).isTrue();
    CliTest.Run route = CliTest.run("text", "route", "--router", file.toString(), "the rocket, the comet and the moon");
    assertThat(route.exitCode()).as(route.err()).isZero();
    assertThat(route.out().lines().toList().get(2)).as(route.out()).startsWith("  space ");
    CliTest.Run bad = CliTest.run("text-bench", "--data", data.toString(), "--no-progress", "--save-router",
        dir.toString());
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).contains("--save-router").contains("is a directory");
  }
}
