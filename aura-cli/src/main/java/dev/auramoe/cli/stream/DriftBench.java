package dev.auramoe.cli.stream;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.drift.Adwin;
import dev.auramoe.stream.drift.DriftDetector;
import dev.auramoe.stream.drift.DriftEvaluation;
import dev.auramoe.stream.drift.DriftReport;
import dev.auramoe.stream.drift.PageHinkley;
import dev.auramoe.stream.eval.ClassificationMetrics;
import dev.auramoe.stream.gen.AgrawalGenerator;
import dev.auramoe.stream.gen.Generators;
import dev.auramoe.stream.gen.LedGenerator;
import dev.auramoe.stream.gen.SeaGenerator;
import dev.auramoe.stream.learn.StreamLearner;
import dev.auramoe.stream.learn.StreamLearner.DriftResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The drift-evaluation harness on generated streams: the learner runs test-then-train with a
 * detector on its own errors, and every detection is scored against the stream's known drift
 * points (detection delay, misses, false alarms). Streams with abrupt drifts (SEA, Agrawal, LED)
 * and the same generators without drift (where every detection is a false alarm).
 */
public final class DriftBench {

  /** ADWIN's confidence here: watching errors for increases only, it can afford more than 0.002. */
  public static final double ADWIN_DELTA = 0.01;

  /** Seeds per stream: the stream's own fixed seed and the next ones. */
  public static final int SEEDS = 3;

  /** The largest delay that still counts as finding a drift (the acceptance target). */
  public static final long MAX_DELAY = 1_000;

  private DriftBench() {}

  /** A stream under test and its true drift points. */
  public record Case(String name, Supplier<InstanceStream> stream, long[] driftPoints) {}

  /** A detector under test. */
  public record Detector(String name, Supplier<DriftDetector> make) {}

  /** One detector on one stream, with the learner's accuracy when it answers detections. */
  public record Run(String stream, DriftReport report, double accuracy, double accuracyWithoutResponse) {

    /**
     * The run as a JSON object. A figure that does not exist is null, never NaN or -1: a missed
     * drift's entry in {@code delays}, {@code meanDelay} and {@code maxDelay} when nothing was
     * detected in time (every run of a stream without drift).
     */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("stream", stream);
      m.put("detector", report.detector());
      m.put("instances", report.instances());
      m.put("drifts", report.drifts());
      m.put("detected", report.detected());
      m.put("missed", report.missed());
      m.put("delays", report.delays().stream().map(d -> d < 0 ? null : d).toList());
      m.put("falseAlarms", report.falseAlarms());
      m.put("falseAlarmsPer100k", finiteOrNull(report.falseAlarmsPer100k()));
      m.put("repeats", report.repeats());
      m.put("meanDelay", finiteOrNull(report.meanDelay()));
      m.put("maxDelay", report.maxDetectedDelay() < 0 ? null : report.maxDetectedDelay());
      m.put("accuracy", accuracy);
      m.put("accuracyWithoutResponse", accuracyWithoutResponse);
      return m;
    }
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** The detectors, with their default parameters. */
  public static List<Detector> detectors() {
    return List.of(new Detector("adwin", () -> Adwin.increasesOnly(ADWIN_DELTA)),
        new Detector("page-hinkley", PageHinkley::new));
  }

  /**
   * Abrupt-drift streams of the benchmark, and their generators held at one concept, each with
   * {@value #SEEDS} seeds.
   */
  public static List<Case> cases(long n) {
    List<Case> c = new ArrayList<>();
    for (int k = 0; k < SEEDS; k++) {
      int seedOffset = k;
      for (String name : List.of("sea", "agrawal", "led")) {
        long seed = Generators.defaultSeed(name) + seedOffset;
        long[] points = Generators.create(name, n, seed).driftPoints().stream().mapToLong(Long::longValue).toArray();
        c.add(new Case(name + " #" + k, () -> Generators.create(name, n, seed), points));
      }
      c.add(new Case("sea (no drift) #" + k, () -> new SeaGenerator(1, 7 + seedOffset).limit(n), new long[0]));
      c.add(new Case("agrawal (no drift) #" + k, () -> new AgrawalGenerator(1, 7 + seedOffset).limit(n),
          new long[0]));
      c.add(new Case("led (no drift) #" + k, () -> new LedGenerator(7 + seedOffset).limit(n), new long[0]));
    }
    return c;
  }

  /** Runs every detector on every case. */
  public static List<Run> runAll(long n) throws IOException {
    List<Run> runs = new ArrayList<>();
    for (Case c : cases(n)) {
      for (Detector d : detectors()) {
        runs.add(run(c, d));
      }
    }
    return runs;
  }

  /** One detector on one stream: with the learner answering detections, and once only observing. */
  public static Run run(Case c, Detector d) throws IOException {
    Result answered = run(c, d, DriftResponse.FRESH_EXPERT);
    Result observed = run(c, d, DriftResponse.NONE);
    return new Run(c.name(), answered.report, answered.accuracy, observed.accuracy);
  }

  private record Result(DriftReport report, double accuracy) {}

  private static Result run(Case c, Detector d, DriftResponse response) throws IOException {
    try (InstanceStream s = c.stream().get()) {
      StreamLearner l = StreamLearner.builder(s.schema()).driftDetector(d.make()).driftResponse(response).build();
      DriftEvaluation ev = new DriftEvaluation(c.driftPoints(), MAX_DELAY);
      ClassificationMetrics m = new ClassificationMetrics(s.schema().classes(), 1000);
      Instance in = new Instance(s.schema());
      int target = s.schema().targetIndex();
      while (s.next(in)) {
        int p = (int) l.testThenTrain(in);
        m.add((int) in.value(target), p);
        ev.observe(l.driftAtLastInstance());
      }
      return new Result(ev.report(d.name()), m.accuracy());
    }
  }
}
