import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The table of side-by-side.sh: reads the runs listed in {@code OUT/runs.tsv} (MOA's
 * EvaluatePrequential CSV, aura's {@code stream --json} output), prints one table and the acceptance
 * summary on stdout and writes {@code OUT/side-by-side.json}.
 *
 * <pre>
 * java -cp JACKSON_JARS SideBySide.java OUT TIMEOUT_S QUICK(0|1) MACHINE MOA_VERSION
 * </pre>
 *
 * Speed on both sides is instances per CPU second of the evaluating thread (MOA: classified
 * instances / "evaluation time (cpu seconds)"; aura: instancesPerCpuSecond); both loops include
 * reading the instances from the file, neither includes JIT compiler or GC threads. aura's
 * wall-clock rate is shown beside it. MOA's CSV is read by header names, not positions.
 */
public final class SideBySide {

  private static final String HAT = "hat";
  private static final String AURA = "aura";
  private static final Map<String, String> NAMES = Map.of(
      "hat", "trees.HoeffdingAdaptiveTree",
      "arf", "meta.AdaptiveRandomForest",
      "nb", "bayes.NaiveBayes",
      "aura", "aura stream");

  /** One learner on one stream; the figures are null unless status is "ok". */
  record Row(String stream, String learner, String status, double runSeconds, Long instances, Double accuracy,
      Double kappa, Double cpuSeconds, Double perCpuSecond, Double perWallSecond) {

    boolean ok() {
      return status.equals("ok");
    }
  }

  private SideBySide() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 5) {
      System.err.println("usage: java SideBySide.java OUT TIMEOUT_S QUICK MACHINE MOA_VERSION");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    int timeout = Integer.parseInt(args[1]);
    boolean quick = args[2].equals("1");
    String machine = args[3];
    String moaVersion = args[4];
    ObjectMapper json = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    List<Row> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("runs.tsv"))) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      rows.add(read(json, f[0], f[1], f[2], Path.of(f[3]), Double.parseDouble(f[4])));
    }

    Set<String> streams = new LinkedHashSet<>();
    rows.forEach(r -> streams.add(r.stream()));
    StringBuilder t = new StringBuilder();
    t.append(String.format(Locale.ROOT,
        "aura-moe vs MOA %s: prequential (test-then-train) on the same ARFF files, cumulative accuracy and kappa%s%n",
        moaVersion, quick ? " (--quick: 20,000 instances per stream)" : ""));
    t.append("inst/cpu-s: instances per CPU second of the evaluating thread (both sides); inst/s wall: aura's wall-clock rate\n");
    t.append("acc/HAT, speed/HAT: aura's accuracy and inst/cpu-s over HoeffdingAdaptiveTree's on the same stream\n\n");
    String head = String.format(Locale.ROOT, "%-14s %-28s %9s %9s %8s %11s %11s %8s %8s %8s %9s%n",
        "stream", "learner", "instances", "accuracy%", "kappa%", "inst/cpu-s", "inst/s wall", "cpu s", "run s",
        "acc/HAT", "speed/HAT");
    t.append(head);
    t.append("-".repeat(head.length() - 1)).append('\n');

    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    doc.put("machine", machine);
    doc.put("moaVersion", moaVersion);
    doc.put("evaluator", "EvaluatePrequential, BasicClassificationPerformanceEvaluator (cumulative)");
    doc.put("speedMeasure", "instances per CPU second of the evaluating thread");
    doc.put("timeoutSeconds", timeout);
    doc.put("quick", quick);
    List<Map<String, Object>> jsonRows = new ArrayList<>();

    int accMet = 0;
    int speedMet = 0;
    int compared = 0;
    boolean haveBoth = rows.stream().anyMatch(r -> r.learner().equals(HAT))
        && rows.stream().anyMatch(r -> r.learner().equals(AURA));
    List<String> accMissed = new ArrayList<>();
    List<String> speedMissed = new ArrayList<>();
    for (String s : streams) {
      Row hat = find(rows, s, HAT);
      Row aura = find(rows, s, AURA);
      boolean comparable = hat != null && aura != null && hat.ok() && aura.ok();
      Double accRatio = comparable ? aura.accuracy() / hat.accuracy() : null;
      Double speedRatio = comparable ? aura.perCpuSecond() / hat.perCpuSecond() : null;
      if (comparable) {
        compared++;
        if (aura.accuracy() >= hat.accuracy()) {
          accMet++;
        } else {
          accMissed.add(s);
        }
        if (aura.perCpuSecond() >= 3 * hat.perCpuSecond()) {
          speedMet++;
        } else {
          speedMissed.add(s);
        }
      } else {
        accMissed.add(s + " (n/a)");
        speedMissed.add(s + " (n/a)");
      }
      for (Row r : rows) {
        if (!r.stream().equals(s)) {
          continue;
        }
        boolean isAura = r.learner().equals(AURA);
        String name = NAMES.getOrDefault(r.learner(), r.learner());
        if (r.ok()) {
          t.append(String.format(Locale.ROOT, "%-14s %-28s %,9d %9.2f %8.2f %,11.0f %11s %8.2f %8.1f %8s %9s%n",
              s, name, r.instances(), r.accuracy(), r.kappa(), r.perCpuSecond(),
              isAura ? String.format(Locale.ROOT, "%,.0f", r.perWallSecond()) : "-", r.cpuSeconds(), r.runSeconds(),
              isAura && accRatio != null ? String.format(Locale.ROOT, "%.3f", accRatio) : "",
              isAura && speedRatio != null ? String.format(Locale.ROOT, "%.2fx", speedRatio) : ""));
        } else {
          String what = switch (r.status()) {
            case "timeout" -> "timeout (no result within " + timeout + " s)";
            case "skipped" -> "skipped (--skip)";
            default -> r.status() + ", see " + r.learner() + ".err";
          };
          t.append(String.format(Locale.ROOT, "%-14s %-28s %-59s %8.1f%n", s, name, what, r.runSeconds()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stream", s);
        m.put("learner", name);
        m.put("status", r.status());
        m.put("instances", r.instances());
        m.put("accuracyPercent", r.accuracy());
        m.put("kappaPercent", r.kappa());
        m.put("cpuSeconds", r.cpuSeconds());
        m.put("instancesPerCpuSecond", r.perCpuSecond());
        m.put("instancesPerWallSecond", r.perWallSecond());
        m.put("runSeconds", r.runSeconds());
        if (isAura) {
          m.put("accuracyRatioToHat", accRatio);
          m.put("speedRatioToHat", speedRatio);
        }
        jsonRows.add(m);
      }
    }
    doc.put("rows", jsonRows);

    int n = streams.size();
    int accTarget = (5 * n + 5) / 6; // 5 of 6, scaled to a subset of the streams
    t.append('\n');
    Map<String, Object> acceptance = new LinkedHashMap<>();
    if (!haveBoth) {
      t.append("acceptance: n/a (needs both hat and aura in --learners)\n");
    } else {
      boolean accPass = accMet >= accTarget;
      boolean speedPass = speedMet == n;
      t.append(String.format(Locale.ROOT, "%s aura accuracy >= HAT on %d of %d streams (target: %d of %d)%s%n",
          accPass ? "PASS" : "FAIL", accMet, n, accTarget, n, missed(accMissed)));
      t.append(String.format(Locale.ROOT, "%s aura instances/s >= 3x HAT on %d of %d streams (target: all)%s%n",
          speedPass ? "PASS" : "FAIL", speedMet, n, missed(speedMissed)));
      acceptance.put("streams", n);
      acceptance.put("compared", compared);
      acceptance.put("accuracyAtLeastHat", Map.of("met", accMet, "target", accTarget, "pass", accPass,
          "missed", accMissed));
      acceptance.put("speedAtLeast3xHat", Map.of("met", speedMet, "target", n, "pass", speedPass,
          "missed", speedMissed));
    }
    doc.put("acceptance", acceptance);
    doc.put("table", t.toString().lines().map(String::stripTrailing).toList());

    String table = t.toString().lines().map(String::stripTrailing).collect(java.util.stream.Collectors.joining("\n", "", "\n"));
    System.out.print(table);
    json.writer().with(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("side-by-side.json").toFile(), doc);
  }

  private static String missed(List<String> missed) {
    return missed.isEmpty() ? "" : "; not met: " + String.join(", ", missed);
  }

  private static Row find(List<Row> rows, String stream, String learner) {
    return rows.stream().filter(r -> r.stream().equals(stream) && r.learner().equals(learner)).findFirst().orElse(null);
  }

  private static Row read(ObjectMapper json, String stream, String learner, String status, Path raw, double runSeconds)
      throws IOException {
    if (!status.equals("ok")) {
      return new Row(stream, learner, status, runSeconds, null, null, null, null, null, null);
    }
    if (learner.equals(AURA)) {
      JsonNode j = json.readTree(raw.toFile());
      return new Row(stream, learner, status, runSeconds, j.get("instances").asLong(),
          100 * j.get("accuracy").asDouble(), 100 * j.get("kappa").asDouble(), j.get("cpuSeconds").asDouble(),
          j.get("instancesPerCpuSecond").asDouble(), j.get("instancesPerSecond").asDouble());
    }
    // MOA: a header line, then one CSV line per evaluation; the last one is the cumulative result.
    List<String> lines = Files.readAllLines(raw);
    String[] header = null;
    String[] last = null;
    for (String line : lines) {
      if (line.startsWith("learning evaluation instances")) {
        header = line.split(",", -1);
      } else if (header != null && !line.isBlank() && Character.isDigit(line.charAt(0))) {
        String[] f = line.split(",", -1);
        if (f.length == header.length) {
          last = f;
        }
      }
    }
    if (last == null) {
      return new Row(stream, learner, "no result line", runSeconds, null, null, null, null, null, null);
    }
    List<String> h = Arrays.asList(header);
    double instances = Double.parseDouble(last[column(h, "classified instances", raw)]);
    double cpu = Double.parseDouble(last[column(h, "evaluation time (cpu seconds)", raw)]);
    double acc = Double.parseDouble(last[column(h, "classifications correct (percent)", raw)]);
    double kappa = Double.parseDouble(last[column(h, "Kappa Statistic (percent)", raw)]);
    return new Row(stream, learner, status, runSeconds, (long) instances, acc, kappa, cpu, instances / cpu, null);
  }

  private static int column(List<String> header, String name, Path raw) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalStateException("no column '" + name + "' in " + raw);
    }
    return i;
  }
}
