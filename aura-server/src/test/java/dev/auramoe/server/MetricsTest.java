package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The /metrics text follows the Prometheus text format 0.0.4. */
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
      TestClient client = new TestClient(server.port());
      client.postJson("/v1/models", Map.of("name", "mm", "inputDim", 2, "experts", 2, "hidden", 4));
      for (int i = 0; i < 5; i++) {
        client.postJson("/v1/models/mm/learn", Map.of("x", List.of(i, 1), "y", List.of(1)));
        client.postJson("/v1/models/mm/route", Map.of("x", List.of(i, 1)));
      }
      client.postJson("/v1/models/mm/route", Map.of("x", List.of(1)));
      client.get("/nowhere");
      String text = client.get("/metrics").body();
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
          .containsEntry("aura_models", "gauge").containsEntry("aura_learned_samples_total", "counter");
      assertThat(helps).containsAll(types.keySet());
      assertThat(samples.get("aura_models")).isEqualTo(1.0);
      assertThat(samples.get("aura_learned_samples_total")).isEqualTo(5.0);
      String route = "endpoint=\"POST /v1/models/{name}/route\"";
      assertThat(samples.get("aura_http_requests_total{" + route + ",status=\"200\"}")).isEqualTo(5.0);
      assertThat(samples.get("aura_http_requests_total{" + route + ",status=\"400\"}")).isEqualTo(1.0);
      assertThat(samples.get("aura_http_requests_total{endpoint=\"unmatched\",status=\"404\"}")).isEqualTo(1.0);
      assertThat(samples.get("aura_http_request_duration_seconds_count{" + route + "}")).isEqualTo(6.0);
      double p50 = samples.get("aura_http_request_duration_seconds{" + route + ",quantile=\"0.5\"}");
      double p99 = samples.get("aura_http_request_duration_seconds{" + route + ",quantile=\"0.99\"}");
      double max = samples.get("aura_http_request_duration_max_seconds{" + route + "}");
      assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
      assertThat(p99).isLessThanOrEqualTo(max * 1.001);
    }
  }
}
