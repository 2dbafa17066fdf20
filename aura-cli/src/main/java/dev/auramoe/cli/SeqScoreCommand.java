package dev.auramoe.cli;

import dev.auramoe.seq.SavedSequenceModel;
import dev.auramoe.seq.SequenceScorer;
import dev.auramoe.seq.Task;
import dev.auramoe.seq.data.LongCsv;
import dev.auramoe.stream.io.Printable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code aura seq score}: a saved sequence model scores a long-format CSV row by row, as a live
 * stream: each id is a stream, the rows of many ids may interleave, and after each row the model's
 * prediction for that id's sequence so far is printed.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = {"Scores a long-format CSV row by row with a model saved by 'aura seq train --save': each id is a "
        + "stream (rows of many ids may interleave, as a live stream's do), and each row prints its id and the "
        + "model's prediction for that id's sequence so far (class and probability, or the predicted values). The "
        + "features are read by the names the model was trained with, and standardised with its training set's "
        + "statistics. With a label column, the end reports the accuracy of each stream's final prediction."})
final class SeqScoreCommand implements Callable<Integer> {

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "The model, saved by "
      + "'aura seq train --save FILE'.")
  private Path modelFile;

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "Long-format CSV (gzip or "
      + "plain): an id column, an optional time column, the model's feature columns by name, an optional label.")
  private Path input;

  @Option(names = "--id", paramLabel = "COL", description = "The id column (default: ${DEFAULT-VALUE}).")
  private String id = "id";

  @Option(names = "--time", paramLabel = "COL", description = "The time column, increasing within an id; its "
      + "differences are the gaps; required exactly when the model was trained with one (default: none, regular "
      + "sampling).")
  private String time;

  @Option(names = "--label", paramLabel = "COL", description = "The label column, used when the file has it "
      + "(default: ${DEFAULT-VALUE}).")
  private String label = "label";

  @Option(names = "--first-elapsed", paramLabel = "GAP", description = "With --time, the gap before each stream's "
      + "first row, in the time column's unit, as the model was trained with (aura seq train --first-elapsed; "
      + "default: none, the regular step).")
  private Float firstElapsed;

  @Option(names = "--max-streams", paramLabel = "N", description = "Most ids open at once; one more is an error "
      + "(default: ${DEFAULT-VALUE}).")
  private int maxStreams = 1_000_000;

  @Option(names = "--quiet", description = "Print only the summary, not a line per row.")
  private boolean quiet;

  @Mixin
  private JsonOption json;

  @Override
  public Integer call() throws Exception {
    if (maxStreams < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-streams must be >= 1");
    }
    json.checkPath();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SavedSequenceModel saved = SavedSequenceModel.load(modelFile);
    // The gaps must mean what they meant in training: a model fitted on elapsed times scales them by its
    // training set's median gap, and one fitted on regular steps has no unit to put raw gaps in.
    double medianGap = saved.preprocessing().medianGap();
    if (time == null && !Double.isNaN(medianGap)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--time: the model was trained on elapsed times "
          + "(median gap " + medianGap + "); name the input's time column with --time COL");
    }
    if (firstElapsed != null && (time == null || !(firstElapsed > 0) || !Float.isFinite(firstElapsed))) {
      throw new CommandLine.ParameterException(spec.commandLine(), time == null
          ? "--first-elapsed needs --time"
          : "--first-elapsed must be finite and > 0, got " + firstElapsed);
    }
    if (time != null && Double.isNaN(medianGap)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--time " + time + ": the model was trained "
          + "without elapsed times (regular steps); leave --time out");
    }
    SequenceScorer scorer = new SequenceScorer(saved, maxStreams, false);
    boolean classification = saved.model().task().kind() == Task.Kind.CLASSIFICATION;
    List<String> outputs = saved.classNames();
    String source = input.toString();
    Map<String, StreamResult> streams = new LinkedHashMap<>();
    long rows = 0;
    float[] raw = new float[saved.rawFeatures()];
    float[] p = new float[scorer.outputs()];
    err.println("model: " + saved.kind() + ", " + saved.rawFeatures() + " features " + saved.featureNames() + ", "
        + (classification ? outputs.size() + " classes" : scorer.outputs() + " targets"));
    err.flush();
    if (!quiet) {
      out.println(classification ? "line,id,class,probability" : "line,id," + String.join(",", targetNames(saved)));
    }
    // The model's features by name; the label column only when the file has it.
    LongCsv.Options options = LongCsv.Options.defaults().withId(id).withTime(time).withLabel(label)
        .withFeatures(saved.featureNames());
    try (LongCsv.Rows in = LongCsv.Rows.open(input, options, false)) {
      while (in.next()) {
        long line = in.line();
        String streamId = in.id();
        in.features(raw, 0);
        StreamResult s = streams.get(streamId);
        float gap = firstElapsed == null ? Float.NaN : firstElapsed;
        if (in.hasTime()) {
          double t = in.time();
          if (s != null) {
            if (!(t > s.lastTime)) {
              throw in.bad("time " + t + " of stream " + Printable.quoted(streamId)
                  + " does not increase (line " + s.lastLine + " has " + s.lastTime + ") in column "
                  + Printable.quoted(time));
            }
            gap = (float) (t - s.lastTime);
          }
          if (s == null) {
            s = new StreamResult();
          }
          s.lastTime = t;
        }
        if (s == null) {
          s = new StreamResult();
        }
        String labelText = in.hasLabel() ? in.label() : null;
        try {
          scorer.score(streamId, raw, gap, p);
        } catch (IllegalArgumentException | IllegalStateException e) {
          throw in.bad(e.getMessage());
        }
        streams.put(streamId, s);
        s.steps++;
        s.lastLine = line;
        s.label = labelText;
        s.outputs = p.clone();
        rows++;
        if (!quiet) {
          out.println(line + "," + csv(streamId) + "," + prediction(p, classification, outputs));
        }
      }
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("model", saved.kind());
    doc.put("input", source);
    doc.put("rows", rows);
    doc.put("streams", streams.size());
    int labelled = 0;
    int right = 0;
    List<Map<String, Object>> finals = new ArrayList<>();
    for (Map.Entry<String, StreamResult> e : streams.entrySet()) {
      StreamResult s = e.getValue();
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("id", e.getKey());
      f.put("steps", s.steps);
      if (classification) {
        int best = argmax(s.outputs);
        f.put("class", outputs.get(best));
        f.put("probability", s.outputs[best]);
        if (s.label != null) {
          f.put("label", s.label);
          labelled++;
          right += outputs.get(best).equals(s.label) ? 1 : 0;
        }
      } else {
        f.put("values", s.outputs);
      }
      finals.add(f);
    }
    String summary = String.format(Locale.ROOT, "scored %,d rows of %,d streams", rows, streams.size());
    if (labelled > 0) {
      double accuracy = (double) right / labelled;
      doc.put("accuracy", accuracy);
      summary += String.format(Locale.ROOT, "; final prediction accuracy %.4f (%d of %d labelled streams)", accuracy,
          right, labelled);
    }
    out.println(summary);
    out.flush();
    doc.put("final", finals);
    json.write(doc, err);
    return 0;
  }

  /** One stream's progress through the file. */
  private static final class StreamResult {
    long steps;
    double lastTime;
    long lastLine;
    String label;
    float[] outputs;
  }

  private static List<String> targetNames(SavedSequenceModel saved) {
    if (!saved.classNames().isEmpty()) {
      return saved.classNames();
    }
    List<String> names = new ArrayList<>();
    for (int k = 0; k < saved.model().task().outputs(); k++) {
      names.add("target" + k);
    }
    return names;
  }

  private static String prediction(float[] p, boolean classification, List<String> classes) {
    if (classification) {
      int best = argmax(p);
      return csv(classes.get(best)) + String.format(Locale.ROOT, ",%.4f", p[best]);
    }
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < p.length; k++) {
      b.append(k == 0 ? "" : ",").append(p[k]);
    }
    return b.toString();
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }

  /** A field as CSV writes it: quoted when it holds a comma, a quote or a line break. */
  private static String csv(String s) {
    return s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0 ? s
        : '"' + s.replace("\"", "\"\"") + '"';
  }
}
