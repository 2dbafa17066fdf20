package dev.auramoe.seq.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.seq.Task;
import dev.auramoe.stream.data.MalformedRowException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LongCsvTest {

  @TempDir
  Path dir;

  private static final LongCsv.Options TIMED = LongCsv.Options.defaults().withTime("time");

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  /** Every id, length, value, elapsed time (bit for bit), label or target and name of two data sets. */
  static void assertSameData(SequenceDataset actual, SequenceDataset expected) {
    assertThat(actual.task()).isEqualTo(expected.task());
    assertThat(actual.featureNames()).isEqualTo(expected.featureNames());
    assertThat(actual.classNames()).isEqualTo(expected.classNames());
    assertThat(actual.size()).isEqualTo(expected.size());
    for (int s = 0; s < expected.size(); s++) {
      assertThat(actual.id(s)).isEqualTo(expected.id(s));
      assertThat(actual.length(s)).as("length of %s", expected.id(s)).isEqualTo(expected.length(s));
      if (expected.task().kind() == Task.Kind.CLASSIFICATION) {
        assertThat(actual.label(s)).isEqualTo(expected.label(s));
      } else {
        for (int k = 0; k < expected.task().size(); k++) {
          assertThat(actual.target(s, k)).isEqualTo(expected.target(s, k));
        }
      }
      for (int t = 0; t < expected.length(s); t++) {
        assertThat(Float.floatToIntBits(actual.elapsed(s, t))).as("elapsed at step %d of %s", t, expected.id(s))
            .isEqualTo(Float.floatToIntBits(expected.elapsed(s, t)));
        for (int i = 0; i < expected.features(); i++) {
          assertThat(actual.value(s, t, i)).isEqualTo(expected.value(s, t, i));
        }
      }
    }
  }

  @Test
  void interleavedIdsKeepFirstAppearanceOrderAndTimesBecomeElapsedTimes() throws IOException {
    Path file = write("vitals.csv", """
        id,time,heart_rate,temperature,label
        p1,0,72,36.6,healthy
        p1,0.5,75,36.7,healthy
        p2,10,90,38.2,fever
        p1,2,71,36.6,healthy
        "p,3",1,60,36,healthy
        p2,11,95,38.9,fever
        """);
    SequenceDataset d = LongCsv.read(file, TIMED);
    assertThat(d.size()).isEqualTo(3);
    assertThat(List.of(d.id(0), d.id(1), d.id(2))).containsExactly("p1", "p2", "p,3");
    assertThat(d.featureNames()).containsExactly("heart_rate", "temperature");
    assertThat(d.classNames()).as("first appearance").containsExactly("healthy", "fever");
    assertThat(d.length(0)).isEqualTo(3);
    assertThat(d.value(0, 2, 0)).isEqualTo(71f);
    assertThat(d.elapsed(0, 0)).as("the first step: the options' first elapsed time").isNaN();
    assertThat(d.elapsed(0, 1)).isEqualTo(0.5f);
    assertThat(d.elapsed(0, 2)).isEqualTo(1.5f);
    assertThat(d.elapsed(1, 1)).isEqualTo(1f);
    assertThat(d.label(1)).isEqualTo(1);

    SequenceDataset one = LongCsv.read(file, TIMED.withFirstElapsed(0.25f).withFeatures(List.of("temperature")));
    assertThat(one.features()).isEqualTo(1);
    assertThat(one.value(1, 1, 0)).isEqualTo(38.9f);
    assertThat(one.elapsed(2, 0)).isEqualTo(0.25f);

    SequenceDataset untimed = LongCsv.read(file, LongCsv.Options.defaults());
    assertThat(untimed.featureNames()).as("without a time column, time is a feature")
        .containsExactly("time", "heart_rate", "temperature");
    assertThat(untimed.isRegular()).isTrue();
  }

  @Test
  void integerLabelsAreClassesInNumericOrderAndGivenClassesKeepTheirIndex() throws IOException {
    Path file = write("n.csv", "id,x,label\na,1,10\nb,2,2\nc,3,-1\nd,4,2\n");
    SequenceDataset d = LongCsv.read(file, LongCsv.Options.defaults());
    assertThat(d.classNames()).containsExactly("-1", "2", "10");
    assertThat(d.label(0)).isEqualTo(2);
    SequenceDataset given = LongCsv.read(file, LongCsv.Options.defaults().withClasses(List.of("10", "-1", "2", "7")));
    assertThat(given.task()).isEqualTo(Task.classification(4));
    assertThat(given.label(0)).isZero();
    assertThat(given.label(3)).isEqualTo(2);
    assertThatThrownBy(() -> LongCsv.read(file, LongCsv.Options.defaults().withClasses(List.of("2", "10"))))
        .isInstanceOf(MalformedRowException.class)
        .hasMessage(file + ":4: label '-1' is not one of the classes [2, 10] in column 'label'");
  }

  @Test
  void aDataSetRoundTripsThroughTheFileBitForBit() throws IOException {
    Random r = new Random(7);
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(3), List.of("a b", "c\"d", "e"))
        .classNames(List.of("cat", "dog, big", ""));
    for (int s = 0; s < 40; s++) {
      int steps = 1 + r.nextInt(9);
      float[] x = new float[steps * 3];
      float[] e = new float[steps];
      e[0] = 0.5f;
      for (int t = 0; t < steps; t++) {
        if (t > 0) {
          e[t] = r.nextInt(4) == 0 ? 1e-3f * (1 + r.nextInt(5)) : r.nextFloat() * 30 + 1e-6f;
        }
        for (int i = 0; i < 3; i++) {
          x[t * 3 + i] = switch (r.nextInt(4)) {
            case 0 -> (float) r.nextGaussian() * 1e-7f;
            case 1 -> r.nextInt(100) / 255f;
            case 2 -> (float) r.nextGaussian() * 1e30f;
            default -> -r.nextInt(1000);
          };
        }
      }
      b.add(s % 7 == 0 ? " id " + s : "s" + s, steps, x, e, r.nextInt(3));
    }
    SequenceDataset d = b.build();
    LongCsv.Options o = TIMED.withFirstElapsed(0.5f);
    Path file = dir.resolve("round.csv");
    LongCsv.write(d, file, o);
    assertSameData(LongCsv.read(file, o.withClasses(d.classNames())), d);

    SequenceDataset regular = SequenceDataset.builder(Task.regression(2), 1)
        .add("a", 2, new float[] {1.25f, -3f}, null, new float[] {0.1f, 1e-20f})
        .add("b", 1, new float[] {7f}, null, new float[] {-2f, 3f}).build();
    StringWriter text = new StringWriter();
    LongCsv.Options reg = LongCsv.Options.defaults().withTargets(List.of("y1", "y2"));
    LongCsv.write(regular, text, reg);
    assertThat(text.toString()).isEqualTo("id,f0,y1,y2\na,1.25,0.1,1.0E-20\na,-3,0.1,1.0E-20\nb,7,-2,3\n");
    Path gz = dir.resolve("reg.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }
    assertSameData(LongCsv.read(gz, reg), regular);
  }

  @Test
  void aDataSetThatWouldNotReadBackIsNotWritten() {
    SequenceDataset timed = SequenceDataset.builder(Task.classification(2), 1)
        .add("a", 2, new float[] {1, 2}, new float[] {Float.NaN, 0.5f}, 0)
        .add("b", 2, new float[] {1, 2}, new float[] {Float.NaN, 0f}, 1).build();
    Path file = dir.resolve("never.csv");
    assertThatThrownBy(() -> LongCsv.write(timed, file, LongCsv.Options.defaults()))
        .hasMessage("sequence 0 (id 'a') has elapsed time 0.5 at step 1, which a file without a time column loses: "
            + "name a time column");
    assertThatThrownBy(() -> LongCsv.write(timed, file, TIMED))
        .hasMessage("sequence 1 (id 'b') has elapsed time 0.0 at step 1; in a time column the times must increase");
    assertThatThrownBy(() -> LongCsv.write(timed, file, TIMED.withFirstElapsed(1f)))
        .hasMessageContaining("has elapsed time NaN at its first step, which reads back as the options' first "
            + "elapsed time 1.0");
    assertThatThrownBy(() -> LongCsv.write(timed, file, LongCsv.Options.defaults().withId("f0")))
        .hasMessageContaining("column 'f0' would appear twice");
    assertThat(file).doesNotExist();
  }

  private void refused(String text, LongCsv.Options options, String message) throws IOException {
    Path file = write("bad.csv", text);
    assertThatThrownBy(() -> LongCsv.read(file, options)).isInstanceOf(IOException.class)
        .hasMessage(file + message);
  }

  /**
   * Row by row, the columns by name in the options' order (not the file's), the label column
   * optional when asked, and the same refusals as a whole read.
   */
  @Test
  void rowsReadsOneRowAtATimeByColumnName() throws IOException {
    Path file = write("rows.csv", "time,y,id,x,note\n0,2.5,a,1,n\n0.5,3,b,-1,m\n");
    LongCsv.Options options = TIMED.withFeatures(List.of("x", "y"));
    float[] step = new float[3];
    try (LongCsv.Rows rows = LongCsv.Rows.open(file, options, false)) {
      assertThat(rows.hasTime()).isTrue();
      assertThat(rows.hasLabel()).isFalse();
      assertThat(rows.featureNames()).containsExactly("x", "y");
      assertThat(rows.next()).isTrue();
      rows.features(step, 1);
      assertThat(rows.line()).isEqualTo(2);
      assertThat(rows.id()).isEqualTo("a");
      assertThat(rows.time()).isEqualTo(0.0);
      assertThat(step).containsExactly(0f, 1f, 2.5f);
      assertThat(rows.next()).isTrue();
      rows.features(step, 0);
      assertThat(rows.id()).isEqualTo("b");
      assertThat(rows.time()).isEqualTo(0.5);
      assertThat(step).containsExactly(-1f, 3f, 2.5f);
      assertThat(rows.bad("why").getMessage()).isEqualTo(file + ":3: why");
      assertThat(rows.next()).isFalse();
    }
    assertThatThrownBy(() -> LongCsv.Rows.open(file, options, true)).isInstanceOf(IOException.class)
        .hasMessage(file + ": no column named 'label' (the label column); columns: [time, y, id, x, note]");

    Path labelled = write("labelled.csv", "id,x,label\na,1,c\nb,,d\n");
    try (LongCsv.Rows rows = LongCsv.Rows.open(labelled, LongCsv.Options.defaults(), false)) {
      assertThat(rows.hasTime()).isFalse();
      assertThat(rows.hasLabel()).isTrue();
      assertThat(rows.next()).isTrue();
      assertThat(rows.label()).isEqualTo("c");
      assertThat(rows.next()).isTrue();
      assertThatThrownBy(() -> rows.features(step, 0)).isInstanceOf(MalformedRowException.class)
          .hasMessage(labelled + ":3: missing value in column 'x' (missing values are refused: fill them in, or "
              + "leave the column out of the features)");
    }
  }

  @Test
  void badFilesAreRefusedNamingFileLineAndColumn() throws IOException {
    refused("id,x,label\na,1,c\n", TIMED, ": no column named 'time' (the time column); columns: [id, x, label]");
    refused("key,x,label\na,1,c\n", TIMED, ": no column named 'id' (the id column); columns: [key, x, label]");
    refused("id,label\na,c\n", LongCsv.Options.defaults(), ": no feature columns: the header names only [id, label]");
    refused("id,x,label\na,1,c\nb,one,d\n", LongCsv.Options.defaults(), ":3: unparsable number 'one' in column 'x'");
    refused("id,x,label\na,1,c\nb,,d\n", LongCsv.Options.defaults(), ":3: missing value in column 'x' (missing "
        + "values are refused: fill them in, or leave the column out of the features)");
    refused("id,x,label\na,1,c\n,2,d\n", LongCsv.Options.defaults(), ":3: missing value in column 'id'");
    refused("id,x,label\na,1,c\nb,2\n", LongCsv.Options.defaults(), ":3: expected 3 fields, found 2");
    refused("id,x,label\na,1,c\nb,2,d\na,3,d\n", LongCsv.Options.defaults(), ":4: label 'd' of sequence 'a' "
        + "differs from 'c' on line 2 in column 'label'; a sequence has one label");
    refused("id,time,x,label\na,1,1,c\nb,0,2,d\na,1,3,c\n", TIMED, ":4: time 1.0 of sequence 'a' does not increase "
        + "(line 2 has 1.0) in column 'time'; a sequence's rows are in time order");
    refused("id,time,x,label\na,5,1,c\nb,0,2,d\na,4,3,c\n", TIMED, ":4: time 4.0 of sequence 'a' does not increase "
        + "(line 2 has 5.0) in column 'time'; a sequence's rows are in time order");
    refused("id,time,x,label\na,-3e38,1,c\na,3e38,3,c\n", TIMED, ":3: time 3.0E38 of sequence 'a' is 6.0E38 after "
        + "line 2's, which is Infinity in float in column 'time'");
    refused("", LongCsv.Options.defaults(), ": empty file, expected a header row");
    refused("id,x,label\n", LongCsv.Options.defaults(), ": no rows after the header");
    refused("id,x,label\na,1,c\nb,2,c\n", LongCsv.Options.defaults(), ": every sequence has the label 'c'; a "
        + "classification needs at least two classes (name them in the options when a file holds only some)");
    refused("id,x,label\na,1,c\na,2,c\na,3,c\nb,2,d\n", LongCsv.Options.defaults().withLimits(2, 10),
        ":4: sequence 'a' has more than 2 steps (from line 2)");
    refused("id,x,label\na,1,c\nb,2,d\nc,3,e\n", LongCsv.Options.defaults().withLimits(10, 2),
        ":4: more than 2 distinct labels in column 'label' (a regression target? name it as a target column)");
    refused("id,x,label\na,1,01\nb,2,1\n", LongCsv.Options.defaults(), ":3: labels '01' and '1' are the same number "
        + "in column 'label'");
    refused("id,x,y\na,1,0.5\na,2,0.25\n", LongCsv.Options.defaults().withTargets(List.of("y")),
        ":3: target 0.25 of sequence 'a' differs from 0.5 on line 2 in column 'y'; a sequence has one target");
    refused("id,x,label\na,1e39,c\n", LongCsv.Options.defaults(), ":2: out-of-range number '1e39' in column 'x' "
        + "(beyond 3.4e38 in magnitude, the float range the model computes in)");
  }

  @Test
  void badOptionsAreRefused() {
    assertThatThrownBy(() -> LongCsv.Options.defaults().withFirstElapsed(0f))
        .hasMessageContaining("0 is no step, so the first input would be lost");
    assertThatThrownBy(() -> LongCsv.Options.defaults().withTime("id")).hasMessage("column 'id' is named for two roles");
    assertThatThrownBy(() -> new LongCsv.Options("id", null, "label", List.of("y"), null, null, Float.NaN, ',', 1, 2))
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> LongCsv.Options.defaults().withClasses(List.of("a", "a")))
        .hasMessageContaining("at least 2 distinct class names");
  }
}
