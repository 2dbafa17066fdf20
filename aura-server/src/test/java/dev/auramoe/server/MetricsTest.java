package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The /metrics text follows the Prometheus text format 0.0.4, with the service's families and the
 * JVM's and the process's beside them.
 */
class MetricsTest {

  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\""
          + "(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\")*)\\})? (\\S+)");
  private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
      + "(counter|gauge|summary|histogram|untyped)");
  private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+");

  @Test
  void exposition() {
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      String text = Scrapes.afterTraffic(server);
      assertThat(text).endsWith("\n");

      Map<String, String> types = new HashMap<>();
      Set<String> helps = new HashSet<>();
      Map<String, Double> samples = new HashMap<>();
      for (String line : text.split("\n")) {
        if (line.startsWith("# HELP ")) {
          Matcher m = HELP.matcher(line);
          assertThat(m.matches()).as(line).isTrue();
          assertThat(helps.add(m.group(1))).as("one HELP per family: " + line).isTrue();
        } else if (line.startsWith("# TYPE ")) {
          Matcher m = TYPE.matcher(line);
          assertThat(m.matches()).as(line).isTrue();
          assertThat(types.put(m.group(1), m.group(2))).as("one TYPE per family: " + line).isNull();
        } else {
          assertThat(line).doesNotStartWith("#");
          Matcher m = SAMPLE.matcher(line);
          assertThat(m.matches()).as("sample line: " + line).isTrue();
          double v = Double.parseDouble(m.group(4));
          String family = m.group(1).replaceAll("_(sum|count)$", "");
          assertThat(types).as("TYPE before samples: " + line).containsKey(types.containsKey(m.group(1))
              ? m.group(1) : family);
          samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), v);
        }
      }
      assertThat(types).containsEntry("aura_http_requests_total", "counter")
          .containsEntry("aura_http_request_duration_seconds", "summary")
          .containsEntry("aura_http_request_duration_seconds_max", "gauge")
          .containsEntry("aura_models", "gauge").containsEntry("aura_model_parameters", "gauge")
          .containsEntry("aura_learned_samples_total", "counter")
          // The JVM's and the process's own, as every operator's dashboard expects them.
          .containsEntry("jvm_memory_used_bytes", "gauge").containsEntry("jvm_memory_max_bytes", "gauge")
          .containsEntry("jvm_gc_pause_seconds", "summary").containsEntry("jvm_gc_memory_allocated_bytes_total", "counter")
          .containsEntry("jvm_threads_live_threads", "gauge").containsEntry("jvm_classes_loaded_classes", "gauge")
          .containsEntry("process_cpu_seconds_total", "counter").containsEntry("process_cpu_usage", "gauge")
          .containsEntry("system_cpus", "gauge").containsEntry("process_uptime_seconds", "gauge")
          .containsEntry("process_start_time_seconds", "gauge").containsEntry("process_files_open_files", "gauge");
      assertThat(helps).containsAll(types.keySet());
      assertThat(samples.get("aura_models")).isEqualTo(1.0);
      assertThat(samples.get("aura_model_parameters")).isEqualTo((double) server.registry().heldParameters())
          .isPositive();
      assertThat(samples.get("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"}")).isNotNull();
      assertThat(samples.get("process_uptime_seconds")).isPositive();
      assertThat(samples.get("aura_learned_samples_total")).isEqualTo(5.0);
      // Labels stay bounded: route templates and statuses, never a model's or a stream's name.
      assertThat(text).doesNotContain(Scrapes.MODEL).doesNotContain(Scrapes.STREAM);
      String route = "endpoint=\"POST /v1/models/{name}/route\"";
      assertThat(samples.get("aura_http_requests_total{" + route + ",status=\"200\"}")).isEqualTo(5.0);
      assertThat(samples.get("aura_http_requests_total{" + route + ",status=\"400\"}")).isEqualTo(1.0);
      assertThat(samples.get("aura_http_requests_total{endpoint=\"unmatched\",status=\"404\"}")).isEqualTo(1.0);
      assertThat(samples.get("aura_http_request_duration_seconds_count{" + route + "}")).isEqualTo(6.0);
      double p50 = samples.get("aura_http_request_duration_seconds{" + route + ",quantile=\"0.5\"}");
      double p99 = samples.get("aura_http_request_duration_seconds{" + route + ",quantile=\"0.99\"}");
      double max = samples.get("aura_http_request_duration_seconds_max{" + route + "}");
      double sum = samples.get("aura_http_request_duration_seconds_sum{" + route + "}");
      assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
      // The quantiles keep two significant digits: within 1% of a recorded latency.
      assertThat(p99).isLessThanOrEqualTo(max * 1.01);
      assertThat(max).isLessThanOrEqualTo(sum);
    }
  }
}
