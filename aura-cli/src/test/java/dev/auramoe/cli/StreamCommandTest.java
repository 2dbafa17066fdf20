package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.auramoe.stream.eval.PrequentialEvaluation;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura stream} and {@code aura generate} end to end on small files. */
class StreamCommandTest {

  /** A CSV classification stream (class = a + b > 0) with malformed rows at known lines. */
  private static Path csv(Path dir, int rows, int... badLines) throws Exception {
    StringBuilder sb = new StringBuilder("a,b,colour,class\n");
    Random r = new Random(1);
    int line = 1;
    for (int i = 0; i < rows; i++) {
      line++;
      boolean bad = false;
      for (int b : badLines) {
        bad |= b == line;
      }
      if (bad) {
        sb.append(i % 2 == 0 ? "1.5,-0.5,red\n" : "1.5,2.5,blue,yes,extra\n");
        continue;
      }
      double a = r.nextGaussian();
      double b = r.nextGaussian();
      sb.append(a).append(',').append(b).append(',').append(i % 3 == 0 ? "red" : "blue").append(',')
          .append(a + b > 0 ? "yes" : "no").append('\n');
    }
    Path f = dir.resolve("s.csv");
    Files.writeString(f, sb);
    return f;
  }

  @Test
  void skippedRowsAreReportedWithTheirLineNumbersAndCounted(@TempDir Path dir) throws Exception {
    Path f = csv(dir, 3000, 7, 1500);
    Path json = dir.resolve("r.json");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", json.toString(),
        "--plot", dir.resolve("plots").toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("s.csv:7:").contains("s.csv:1500:");
    assertThat(r.out()).containsPattern("malformed rows skipped\\s+2").contains("accuracy").contains("kappa");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("instances").asLong()).isEqualTo(2998);
    assertThat(doc.get("skippedRows").asLong()).isEqualTo(2);
    assertThat(doc.get("problems").get(0).get("line").asLong()).isEqualTo(7);
    assertThat(doc.get("problems").get(1).get("line").asLong()).isEqualTo(1500);
    assertThat(doc.get("accuracy").asDouble()).isGreaterThan(0.9);
    assertThat(doc.get("kappa").asDouble()).isGreaterThan(0.8);
    assertThat(doc.get("instancesPerSecond").asDouble()).isPositive();
    assertThat(doc.get("task").asText()).isEqualTo("classification");
    assertThat(dir.resolve("plots/stream.png")).exists();
  }

  @Test
  void abortStopsAtTheFirstMalformedRowWithItsLine(@TempDir Path dir) throws Exception {
    Path f = csv(dir, 100, 42);
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--on-error", "abort");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.err()).contains("aborted").contains("s.csv:42:");
  }

  @Test
  void aNumericTargetIsRegressionWithMaeAndRmse(@TempDir Path dir) throws Exception {
    StringBuilder sb = new StringBuilder("x1,x2,y\n");
    Random r = new Random(2);
    for (int i = 0; i < 4000; i++) {
      double x1 = r.nextGaussian();
      double x2 = r.nextGaussian();
      sb.append(x1).append(',').append(x2).append(',').append(50 + 20 * x1 - 5 * x2 + 0.1 * r.nextGaussian())
          .append('\n');
    }
    Path f = dir.resolve("reg.csv");
    Files.writeString(f, sb);
    Path json = dir.resolve("reg.json");
    CliTest.Run run = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", json.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("task").asText()).isEqualTo("regression");
    assertThat(doc.get("windowRmse").asDouble()).isLessThan(2.0);
    assertThat(doc.get("mae").asDouble()).isPositive();
    assertThat(doc.has("accuracy")).isFalse();
    CliTest.Run bad = CliTest.run("stream", "--input", f.toString(), "--task", "clustering");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.err()).contains("--task must be auto, classification or regression");
  }

  @Test
  void generatedStreamsRoundTripThroughAFile(@TempDir Path dir) throws Exception {
    Path arff = dir.resolve("sea.arff");
    CliTest.Run g = CliTest.run("generate", "sea", "--instances", "2000", "--out", arff.toString());
    assertThat(g.exitCode()).as(g.err()).isZero();
    assertThat(Files.readString(arff)).startsWith("@relation");
    Path json = dir.resolve("sea.json");
    CliTest.Run s = CliTest.run("stream", "--input", arff.toString(), "--no-progress", "--json", json.toString());
    assertThat(s.exitCode()).as(s.err()).isZero();
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("instances").asLong()).isEqualTo(2000);
    assertThat(doc.get("accuracy").asDouble()).isGreaterThan(0.7);
    // A class target: the router reads no recent errors unless asked to.
    assertThat(doc.get("recentErrors").asBoolean()).isFalse();
    assertThat(doc.get("drift").asText()).isEqualTo("none");
    Path on = dir.resolve("on.json");
    assertThat(CliTest.run("stream", "--input", arff.toString(), "--no-progress", "--recent-errors", "on", "--json",
        on.toString()).exitCode()).isZero();
    assertThat(Json.mapper().readTree(on.toFile()).get("recentErrors").asBoolean()).isTrue();
    assertThat(CliTest.run("generate", "nope", "--out", arff.toString()).err()).contains("unknown stream 'nope'");
    assertThat(CliTest.run("generate", "--list").out()).contains("sea").contains("hyperplane").contains("led");
    assertThat(CliTest.run("stream", "--input", dir.resolve("missing.csv").toString()).exitCode()).isNotZero();
  }

  @Test
  void theDriftBenchScoresEveryDetectorOnEveryStream(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("drift.json");
    CliTest.Run r = CliTest.run("drift-bench", "--instances", "4000", "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("sea #0").contains("agrawal (no drift) #2").contains("page-hinkley");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("runs")).hasSize(2 * 6 * 3);
    for (JsonNode run : doc.get("runs")) {
      assertThat(run.get("delays")).hasSize(run.get("drifts").asInt());
      assertThat(run.get("detected").asInt() + run.get("missed").asInt()).isEqualTo(run.get("drifts").asInt());
    }
    assertThat(doc.get("checks")).hasSize(4);
    assertThat(r.err()).contains("finds every abrupt drift within 1,000 instances");
  }

  @Test
  void infiniteValuesAreMalformedRowsAndAMissingFileIsOneLineNotAStackTrace(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("inf.csv");
    Files.writeString(f, "a,b,y\n1,2,3\n1,inf,4\n2,3,1e999\n3,4,5\n");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("inf.csv:3: infinite number 'inf'").contains("inf.csv:4: infinite number '1e999'");
    assertThat(r.out()).containsPattern("malformed rows skipped\\s+2");
    CliTest.Run missing = CliTest.run("stream", "--input", dir.resolve("nope.csv").toString(), "--no-progress");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("no such file").doesNotContain("\tat ");
  }

  @Test
  void aTargetBeyondTheFloatRangeIsAMalformedRowWithItsFileAndLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("big.csv");
    Files.writeString(f, "a,b,y\n1,2,3\n2,3,1e300\n3,4,5\n4,5,6\n5,6,-4e38\n");
    Path json = dir.resolve("big.json");
    CliTest.Run skip = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", json.toString());
    assertThat(skip.exitCode()).as(skip.err()).isZero();
    assertThat(skip.err()).contains("big.csv:3: out-of-range number '1e300' in column 'y'")
        .contains("big.csv:6: out-of-range number '-4e38' in column 'y'").doesNotContain("ADWIN");
    assertThat(skip.out()).containsPattern("malformed rows skipped\\s+2").containsPattern("instances\\s+3");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("problems").get(0).get("line").asLong()).isEqualTo(3);
    assertThat(Double.isFinite(doc.get("mae").asDouble())).isTrue();
    CliTest.Run abort = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--on-error", "abort");
    assertThat(abort.exitCode()).isEqualTo(3);
    assertThat(abort.err()).contains("aborted: malformed row: " + f + ":3: out-of-range number '1e300'");
  }

  @Test
  void anUnterminatedQuoteIsNamedWithItsLineNotBlamedOnTheClasses(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("q.csv");
    Files.writeString(f, "a,b,y\n1,2,a\n3,\"4,b\n");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains(f + ":3: unterminated quote: the field opened on line 3")
        .doesNotContain("classes").doesNotContain("\tat ");
    Path one = dir.resolve("one.csv");
    Files.writeString(one, "a,b,y\n1,2,a\n2,3,a\n");
    CliTest.Run single = CliTest.run("stream", "--input", one.toString(), "--no-progress");
    assertThat(single.exitCode()).isEqualTo(1);
    assertThat(single.err()).contains(one + ": the target 'y' has 1 class ('a'): a classifier needs at least 2");
  }

  @Test
  void aFolderADeviceAndATruncatedGzipAreNamedForWhatTheyAre(@TempDir Path dir) throws Exception {
    CliTest.Run folder = CliTest.run("stream", "--input", dir.toString(), "--no-progress");
    assertThat(folder.exitCode()).isEqualTo(1);
    assertThat(folder.err()).contains(dir + " is a directory: give a .csv or .arff file")
        .contains("it has none of them").doesNotContain("no such file");
    if (Files.exists(Path.of("/dev/null"))) {
      CliTest.Run devNull = CliTest.run("stream", "--input", "/dev/null", "--no-progress");
      assertThat(devNull.exitCode()).isEqualTo(1);
      assertThat(devNull.err()).contains("/dev/null is not a regular file").doesNotContain("no such file");
    }
    StringBuilder sb = new StringBuilder("a,b,y\n");
    for (int i = 0; i < 20_000; i++) {
      sb.append(i).append(',').append(i * 2).append(',').append(i % 3).append('\n');
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(bytes)) {
      o.write(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Path gz = dir.resolve("cut.csv.gz");
    Files.write(gz, java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
    CliTest.Run cut = CliTest.run("stream", "--input", gz.toString(), "--no-progress");
    assertThat(cut.exitCode()).isEqualTo(1);
    assertThat(cut.err()).contains(gz + ": truncated gzip data").contains("(reading line ").doesNotContain("ZLIB");
  }

  @Test
  void aFileWithNothingToScoreIsRefusedNotReportedAsNaN(@TempDir Path dir) throws Exception {
    Path header = dir.resolve("h.csv");
    Files.writeString(header, "a,b,y\n");
    CliTest.Run r = CliTest.run("stream", "--input", header.toString(), "--no-progress", "--json",
        dir.resolve("h.json").toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains(header + ": no instance to score: it has no data rows");
    assertThat(r.out()).isEmpty();
    assertThat(dir.resolve("h.json")).doesNotExist();
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "a,b,y\n1,2,?\n1,2,3,4\n");
    CliTest.Run none = CliTest.run("stream", "--input", bad.toString(), "--no-progress");
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(none.err()).contains("no instance to score: of its rows, 1 with the target missing, 1 malformed "
        + "and skipped");
  }

  @Test
  void controlCharactersOfTheFileNeverReachTheTerminalRaw(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("c.csv");
    Files.writeString(f, "a,b,\u001b[2Jy\u0007\n1,2,3\n2,x\u001b]0;owned\u0007,4\n3,4,\u009b5\n");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--task", "regression");
    assertThat(r.exitCode()).as(r.err()).isZero();
    String all = r.out() + r.err();
    assertThat(all.chars().filter(c -> c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f).count())
        .as(all).isZero();
    assertThat(r.err()).contains("target '\\u001b[2Jy\\u0007' (numeric)")
        .contains("unparsable number '\\u009b5' in column '\\u001b[2Jy\\u0007'");
  }

  @Test
  void idLikeColumnsAreLeftOutWithAWarningAndTooManyFeaturesAreRefusedBeforeTheRun(@TempDir Path dir)
      throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < 20; c++) {
      sb.append("id").append(c).append(',');
    }
    sb.append("x,y\n");
    Random rnd = new Random(5);
    for (int i = 0; i < 300; i++) {
      for (int c = 0; c < 20; c++) {
        sb.append("u").append(c).append('_').append(i).append(',');
      }
      double x = rnd.nextGaussian();
      sb.append(x).append(',').append(x > 0 ? "up" : "down").append('\n');
    }
    Path f = dir.resolve("ids.csv");
    Files.writeString(f, sb);
    Path json = dir.resolve("ids.json");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--max-levels", "100", "--json",
        json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning: 20 columns have more than 100 distinct values (an identifier or free "
        + "text?) and are left out of the features: 'id0', 'id1', 'id2', 'id3', 'id4', ...; --max-levels N keeps "
        + "columns of up to N values").contains("22 columns (20 left out)").contains("1 feature;");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("leftOutColumns")).hasSize(20);
    assertThat(doc.get("warnings")).hasSize(1);
    CliTest.Run wide = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--max-features", "1000");
    assertThat(wide.exitCode()).isEqualTo(1);
    assertThat(wide.err()).contains(f + ": the inputs encode to 6,001 features, more than --max-features 1,000 (each"
        + " value of a nominal column is a feature; widest: 'id0' 300, 'id1' 300")
        .doesNotContain("columns, target");
    assertThat(wide.out()).isEmpty();
  }

  @Test
  void optionsThatDoNotFitAreRefused(@TempDir Path dir) throws Exception {
    Path f = csv(dir, 300);
    CliTest.Run topK = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--top-k", "9");
    assertThat(topK.exitCode()).isEqualTo(2);
    assertThat(topK.err()).contains("--top-k must be between 1 and --experts (8), got 9")
        .contains("Try 'aura stream --help'").doesNotContain("--window=N");
    CliTest.Run recent = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--recent-errors", "yes");
    assertThat(recent.exitCode()).isEqualTo(2);
    assertThat(recent.err()).contains("--recent-errors must be auto, on or off, got 'yes'");
    CliTest.Run single = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--experts", "1");
    assertThat(single.exitCode()).as("the default top-k fits one expert: " + single.err()).isZero();
    Path reg = dir.resolve("reg.csv");
    Files.writeString(reg, "x,y\n1,0.5\n2,1.5\n3,2.5\n");
    CliTest.Run leak = CliTest.run("stream", "--input", reg.toString(), "--no-progress", "--leak", "0.01");
    assertThat(leak.exitCode()).isEqualTo(2);
    assertThat(leak.err()).contains("--leak applies to the softmax experts of a class target; the target 'y' of "
        + reg + " is numeric, and its NLMS experts have no leak");
    assertThat(CliTest.run("stream", "--input", f.toString(), "--no-progress", "--leak", "0.001").exitCode())
        .isZero();
  }

  @Test
  void nanIsMissingAndAColumnOfNumbersAndHexIsNominalWithAWarning(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("n.csv");
    Files.writeString(f, "a,b,y\n1,2,1.5\n2,NaN,2.5\n0x10,4,3.5\n3,nan,4.5\n");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning: column 'a' holds numbers (first '1' on line 2) and text (first '0x10' on "
        + "line 4), so it is read as nominal").doesNotContain("column 'b'");
    assertThat(r.err()).contains("5 features");
  }

  @Test
  void outputPathsAreCheckedBeforeTheRunAndNoFolderAboveThemIsCreated(@TempDir Path dir) throws Exception {
    Path f = csv(dir, 300);
    Path missing = dir.resolve("no/such/r.json");
    CliTest.Run json = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", missing.toString());
    assertThat(json.exitCode()).isEqualTo(1);
    assertThat(json.err()).contains("--json " + missing + ": the folder " + missing.getParent()
        + " does not exist (it is not created: create it first)").doesNotContain("columns, target");
    assertThat(json.out()).isEmpty();
    assertThat(dir.resolve("no")).doesNotExist();
    CliTest.Run underFile = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json",
        f.resolve("r.json").toString());
    assertThat(underFile.exitCode()).isEqualTo(1);
    assertThat(underFile.err()).contains("is not a directory");
    CliTest.Run plot = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--plot",
        dir.resolve("a/b").toString());
    assertThat(plot.exitCode()).isEqualTo(1);
    assertThat(plot.err()).contains("--plot " + dir.resolve("a/b") + ": the folder " + dir.resolve("a")
        + " does not exist");
    CliTest.Run ok = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--plot",
        dir.resolve("plots").toString(), "--json", dir.resolve("r.json").toString());
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(dir.resolve("plots/stream.png")).exists();
    assertThat(dir.resolve("r.json")).exists();
  }

  @Test
  void theSeparatorTakesEscapesAndNames(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("t.tsv");
    StringBuilder sb = new StringBuilder("a\tb\ty\n");
    for (int i = 0; i < 200; i++) {
      sb.append(i).append('\t').append(-i).append('\t').append(i % 2).append('\n');
    }
    Files.writeString(f, sb);
    for (String sep : new String[] {"\\t", "tab", "TAB", "\t"}) {
      CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--separator", sep);
      assertThat(r.exitCode()).as(sep + ": " + r.err()).isZero();
      assertThat(r.err()).contains("3 columns");
    }
    CliTest.Run bad = CliTest.run("stream", "--input", f.toString(), "--separator", "ab");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--separator must be one character (not a quote or a line break), \\t, or one of "
        + "tab, comma, semicolon, space, pipe, colon; got 'ab'");
  }

  @Test
  void thePlotMarksTheDetectionsAndTheKnownDrifts(@TempDir Path dir) throws Exception {
    Path sea = dir.resolve("sea.csv");
    assertThat(CliTest.run("generate", "sea", "--instances", "20000", "--out", sea.toString()).exitCode()).isZero();
    Path json = dir.resolve("sea.json");
    CliTest.Run r = CliTest.run("stream", "--input", sea.toString(), "--no-progress", "--drift", "adwin", "--drifts",
        "5000,10000,15000", "--plot", dir.toString(), "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("known drifts\\s+\\d of 3 detected within 1,000 instances");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("knownDrifts")).hasSize(3);
    assertThat(doc.get("knownDriftDelays")).hasSize(3);

    PrequentialEvaluation.Result result = new PrequentialEvaluation.Result(3000, 0, 1, 1, 0.9, 0.8, 0.9, 0.8,
        Double.NaN, Double.NaN, Double.NaN, Double.NaN, List.of(
            new PrequentialEvaluation.Point(1000, 0.9, 0.9, new double[] {0.5, 0.5}),
            new PrequentialEvaluation.Point(2000, 0.6, 0.75, new double[] {0.5, 0.5}),
            new PrequentialEvaluation.Point(3000, 0.95, 0.8, new double[] {0.5, 0.5})), null);
    org.knowm.xchart.XYChart chart = StreamCommand.scoreChart(result, true, List.of(1750L, 2600L), List.of(1500L));
    assertThat(chart.getSeriesCollection()).extracting(s -> s.getName())
        .containsExactly("accuracy", "drift detected", "drift detected 1", "known drift");
    assertThat(chart.getSeries("drift detected 1").getXData()).containsExactly(2600.0, 2600.0);
    assertThat(chart.getSeries("known drift").getXData()).as("the first instance of the new concept")
        .containsExactly(1501.0, 1501.0);
    assertThat(chart.getSeries("drift detected 1").isShowInLegend()).isFalse();
    assertThat(chart.getSeries("known drift").getYData()[1]).as("spans the curve").isGreaterThanOrEqualTo(0.95);
    assertThat(StreamCommand.plot(result, true, List.of(1750L), List.of(1500L), dir.resolve("p"))).exists();
  }

  @Test
  void knownDriftsBeyondTheEndAreNamedApartAndNeitherScoredNorDrawn(@TempDir Path dir) throws Exception {
    Path sea = dir.resolve("sea.csv");
    assertThat(CliTest.run("generate", "sea", "--instances", "3000", "--out", sea.toString()).exitCode()).isZero();
    Path json = dir.resolve("sea.json");
    CliTest.Run r = CliTest.run("stream", "--input", sea.toString(), "--no-progress", "--drift", "adwin", "--drifts",
        "2000,5000", "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning: --drifts 5,000 lie at or beyond the 3,000 instances read; not scored");
    assertThat(r.out()).containsPattern("known drifts\\s+\\d of 1 detected");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("knownDrifts").toString()).isEqualTo("[2000]");
    assertThat(doc.get("knownDriftsBeyondEnd").toString()).isEqualTo("[5000]");
    assertThat(doc.get("knownDriftDelays")).as("one delay per scored drift, index by index").hasSize(1);
  }

  @Test
  void everyExpertsShareHasItsOwnColourAndTheMarksStandOutOverEveryBand(@TempDir Path dir) throws Exception {
    int experts = Charts.PALETTE.length;
    List<PrequentialEvaluation.Point> curve = new java.util.ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      double[] share = new double[experts];
      for (int e = 0; e < experts; e++) {
        share[e] = (1 + (e + i) % 3) / (2.0 * experts);
      }
      double sum = java.util.Arrays.stream(share).sum();
      for (int e = 0; e < experts; e++) {
        share[e] /= sum;
      }
      curve.add(new PrequentialEvaluation.Point(i * 500L, 0.8, 0.8, share));
    }
    PrequentialEvaluation.Result result = new PrequentialEvaluation.Result(10_000, 0, 1, 1, 0.8, 0.6, 0.8, 0.6,
        Double.NaN, Double.NaN, Double.NaN, Double.NaN, curve, null);
    List<Long> detections = List.of(3_100L, 7_400L);
    List<Long> drifts = List.of(3_000L, 7_000L);

    org.knowm.xchart.XYChart usage = StreamCommand.usageChart(result, detections, drifts);
    assertThat(usage.getSeriesCollection()).as("the bands and the four marks").hasSize(experts + 4);
    ChartAssertions.assertEverySeriesDistinct(usage);
    ChartAssertions.assertEverySeriesDistinct(StreamCommand.scoreChart(result, true, detections, drifts));

    Path png = StreamCommand.plot(result, true, detections, drifts, dir);
    java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
    assertThat(image.getHeight()).as("the score chart with the shares under it").isEqualTo(420 + 320);
  }
}
