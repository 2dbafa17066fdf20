package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.seq.SavedSequenceModel;
import dev.auramoe.seq.SequenceScorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura seq train --save} and {@code aura seq score}: a saved model scores a CSV row by row, each id a stream. */
class SeqScoreCommandTest {

  /**
   * Sequences of 6 to 10 irregular steps whose class is the sign of feature f1's mean; f2 is noise.
   * The rows of all ids interleave by time, as a live stream's would.
   */
  private static Path csv(Path file, int sequences, long seed) throws Exception {
    Random r = new Random(seed);
    record Row(double time, String line) {}
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < sequences; s++) {
      int label = s % 2;
      double t = r.nextDouble();
      int steps = 6 + r.nextInt(5);
      for (int k = 0; k < steps; k++) {
        t += 0.2 + r.nextDouble();
        double f1 = (label == 1 ? 1 : -1) + 0.5 * r.nextGaussian();
        rows.add(new Row(t, String.format(Locale.ROOT, "id%d,%.4f,%.4f,%.4f,%s", s, t, f1, r.nextGaussian(),
            label == 1 ? "up" : "down")));
      }
    }
    rows.sort((a, b) -> Double.compare(a.time(), b.time()));
    StringBuilder b = new StringBuilder("id,time,f1,f2,label\n");
    for (Row row : rows) {
      b.append(row.line()).append('\n');
    }
    Files.writeString(file, b);
    return file;
  }

  @Test
  void aSavedModelScoresEachRowOfInterleavedStreamsAndTheirFinalAccuracy(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 40, 1);
    Path test = csv(dir.resolve("test.csv"), 12, 2);
    Path model = dir.resolve("model.auraseq");
    CliTest.Run t = CliTest.run("seq", "train", "--train", train.toString(), "--test", test.toString(), "--time",
        "time", "--model", "liquid", "--experts", "2", "--hidden", "4", "--epochs", "6", "--batch", "8", "--lr",
        "0.02", "--save", model.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(t.err()).contains("wrote " + model);
    SavedSequenceModel saved = SavedSequenceModel.load(model);
    assertThat(saved.featureNames()).containsExactly("f1", "f2");
    assertThat(saved.classNames()).containsExactly("down", "up");

    Path json = dir.resolve("score.json");
    CliTest.Run s = CliTest.run("seq", "score", "--model", model.toString(), "--input", test.toString(), "--time",
        "time", "--json", json.toString());
    assertThat(s.exitCode()).as(s.err()).isZero();
    List<String> lines = s.out().lines().toList();
    assertThat(lines.getFirst()).isEqualTo("line,id,class,probability");
    long rows = Files.readAllLines(test).size() - 1;
    assertThat(lines).hasSize((int) rows + 2);
    assertThat(lines.get(1)).matches("2,id\\d+,(up|down),0\\.\\d{4}|2,id\\d+,(up|down),1\\.0000");
    assertThat(lines.getLast()).startsWith("scored " + rows + " rows of 12 streams; final prediction accuracy ");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("streams").asInt()).isEqualTo(12);
    assertThat(doc.get("final")).hasSize(12);
    double accuracy = doc.get("accuracy").asDouble();
    assertThat(accuracy).as("the task is easy").isGreaterThanOrEqualTo(0.75);

    // Each stream's last printed prediction is the scorer's on that id's rows alone.
    SequenceScorer scorer = new SequenceScorer(saved, 1, false);
    JsonNode first = doc.get("final").get(0);
    String id = first.get("id").asText();
    float[] p = null;
    double last = Double.NaN;
    for (String row : Files.readAllLines(test).subList(1, (int) rows + 1)) {
      String[] f = row.split(",");
      if (f[0].equals(id)) {
        double time = Double.parseDouble(f[1]);
        p = scorer.score(id, new float[] {Float.parseFloat(f[2]), Float.parseFloat(f[3])},
            Double.isNaN(last) ? Float.NaN : (float) (time - last));
        last = time;
      }
    }
    assertThat(first.get("probability").floatValue()).isEqualTo(Math.max(p[0], p[1]));
  }

  @Test
  void aTimeColumnIsRequiredExactlyWhenTheModelWasTrainedOnElapsedTimes(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 10, 1);
    Path timed = dir.resolve("timed.auraseq");
    Path regular = dir.resolve("regular.auraseq");
    assertThat(CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(), "--time", "time",
        "--model", "lstm", "--lstm-hidden", "3", "--epochs", "1", "--save", timed.toString()).exitCode()).isZero();
    assertThat(CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(), "--features",
        "f1,f2", "--model", "lstm", "--lstm-hidden", "3", "--epochs", "1", "--save", regular.toString()).exitCode())
        .isZero();

    // Without --time every gap would silently be the regular step, not the gaps the model was trained on.
    CliTest.Run noTime = CliTest.run("seq", "score", "--model", timed.toString(), "--input", train.toString(),
        "--quiet");
    assertThat(noTime.exitCode()).isNotZero();
    assertThat(noTime.out()).doesNotContain("scored");
    assertThat(noTime.err()).contains("--time").contains("elapsed times");
    // With --time a model trained on regular steps would read the raw gaps in its own time, unscaled.
    CliTest.Run extraTime = CliTest.run("seq", "score", "--model", regular.toString(), "--input", train.toString(),
        "--time", "time", "--quiet");
    assertThat(extraTime.exitCode()).isNotZero();
    assertThat(extraTime.out()).doesNotContain("scored");
    assertThat(extraTime.err()).contains("--time").contains("without elapsed times");

    assertThat(CliTest.run("seq", "score", "--model", timed.toString(), "--input", train.toString(), "--time", "time",
        "--quiet").exitCode()).isZero();
    assertThat(CliTest.run("seq", "score", "--model", regular.toString(), "--input", train.toString(), "--quiet")
        .exitCode()).isZero();
  }

  @Test
  void badRowsAndFilesAreRefusedNamingLineAndColumn(@TempDir Path dir) throws Exception {
    Path train = csv(dir.resolve("train.csv"), 10, 1);
    Path model = dir.resolve("model.auraseq");
    CliTest.Run t = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(), "--time", "time", "--model",
        "lstm", "--lstm-hidden", "3", "--epochs", "1", "--save", model.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();

    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "id,time,f1,f2\na,0,1,2\nb,0,1,2\na,1,x,2\n");
    CliTest.Run s = CliTest.run("seq", "score", "--model", model.toString(), "--input", bad.toString(), "--time",
        "time");
    assertThat(s.exitCode()).isEqualTo(1);
    assertThat(s.err()).contains("bad.csv:4").contains("f1");

    Files.writeString(bad, "id,time,f1,f2\na,0,1,2\na,0,1,2\n");
    CliTest.Run time = CliTest.run("seq", "score", "--model", model.toString(), "--input", bad.toString(), "--time",
        "time");
    assertThat(time.exitCode()).isEqualTo(1);
    assertThat(time.err()).contains("bad.csv:3").contains("does not increase").contains("'time'");

    Files.writeString(bad, "id,time,f1\na,0,1\n");
    CliTest.Run missing = CliTest.run("seq", "score", "--model", model.toString(), "--input", bad.toString(),
        "--time", "time");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("no column named 'f2'");

    CliTest.Run first = CliTest.run("seq", "score", "--model", model.toString(), "--input", train.toString(),
        "--time", "time", "--first-elapsed", "-1");
    assertThat(first.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(first.err()).contains("--first-elapsed must be finite and > 0");
    CliTest.Run gap = CliTest.run("seq", "score", "--model", model.toString(), "--input", train.toString(),
        "--time", "time", "--first-elapsed", "0.5");
    assertThat(gap.exitCode()).as(gap.err()).isZero();
    CliTest.Run noTime = CliTest.run("seq", "train", "--train", train.toString(), "--test", train.toString(),
        "--first-elapsed", "0.5");
    assertThat(noTime.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(noTime.err()).contains("--first-elapsed needs --time");

    Files.writeString(dir.resolve("junk.auraseq"), "not a model");
    CliTest.Run junk = CliTest.run("seq", "score", "--model", dir.resolve("junk.auraseq").toString(), "--input",
        bad.toString());
    assertThat(junk.exitCode()).isEqualTo(1);
    assertThat(junk.err()).contains("junk.auraseq").contains("truncated");

    Files.writeString(bad, "id,time,f1,f2\na,0,1,2\nb,0,1,2\n");
    CliTest.Run full = CliTest.run("seq", "score", "--model", model.toString(), "--input", bad.toString(),
        "--time", "time", "--max-streams", "1", "--quiet");
    assertThat(full.exitCode()).isEqualTo(1);
    assertThat(full.err()).contains("bad.csv:3").contains("stream b");
  }
}
