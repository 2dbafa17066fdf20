package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard of the repository is in Grafana's dashboard format (schema version
 * {@value #SCHEMA_VERSION}, as docs/server.md states), and every metric and label its queries name
 * is in a real server's {@code /metrics}, so that it cannot drift from what the service serves.
 */
class DashboardTest {

  static final Path DASHBOARD = Path.of("..", "docs", "grafana", "aura-dashboard.json");

  /** Grafana's dashboard JSON model version the file is written in (Grafana 10.4 and 11's). */
  static final int SCHEMA_VERSION = 39;

  /** A metric name of the service or of Micrometer's JVM and process meters. */
  private static final Pattern METRIC = Pattern.compile("\\b(?:aura|jvm|process|system)_[a-z0-9_]*[a-z0-9]");
  private static final Pattern SELECTOR = Pattern.compile("(" + METRIC.pattern() + ")\\{([^}]*)}");
  private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
  private static final Pattern GROUPING = Pattern.compile("\\b(?:by|on|without|ignoring)\\s*\\(([^)]*)\\)");
  /** Labels Prometheus adds to every scraped series. */
  private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

  @Test
  void theDashboardIsInGrafanasFormat() throws Exception {
    JsonNode d = TestClient.MAPPER.readTree(Files.readString(DASHBOARD));
    assertThat(d.path("schemaVersion").isInt()).isTrue();
    assertThat(d.path("schemaVersion").asInt()).isEqualTo(SCHEMA_VERSION);
    assertThat(d.path("title").asText()).isNotBlank();
    assertThat(d.path("uid").asText()).matches("[a-zA-Z0-9_-]{1,40}");
    assertThat(d.path("panels").isArray()).isTrue();
    Set<Integer> ids = new HashSet<>();
    Set<String> titles = new HashSet<>();
    for (JsonNode p : d.path("panels")) {
      assertThat(ids.add(p.path("id").asInt(-1))).as("unique panel id: %s", p).isTrue();
      JsonNode g = p.path("gridPos");
      assertThat(g.path("x").asInt(-1) + g.path("w").asInt(99)).as("inside the 24-column grid: %s", p).isLessThanOrEqualTo(24);
      assertThat(g.path("h").asInt(0)).isPositive();
      assertThat(g.path("y").isInt()).isTrue();
      if (p.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(p.path("type").asText()).isIn("timeseries", "stat");
      titles.add(p.path("title").asText());
      assertThat(p.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      assertThat(p.path("targets").size()).as("queries of %s", p.path("title")).isPositive();
      Set<String> refIds = new HashSet<>();
      for (JsonNode t : p.path("targets")) {
        assertThat(refIds.add(t.path("refId").asText())).isTrue();
        assertThat(t.path("expr").asText()).isNotBlank();
      }
    }
    // What the dashboard is for: requests, latency quantiles, learns, models, heap and GC.
    assertThat(titles).contains("Request rate by endpoint", "Latency p50 and p99 by endpoint", "Learns per second",
        "Models and parameters", "Heap", "GC pause time per second");
    List<String> variables = new ArrayList<>();
    d.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
    assertThat(variables).containsExactly("datasource", "job", "instance");
  }

  @Test
  void everyMetricAndLabelTheDashboardQueriesIsServed() throws Exception {
    String scrape;
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      scrape = Scrapes.afterTraffic(server);
    }
    JsonNode d = TestClient.MAPPER.readTree(Files.readString(DASHBOARD));
    List<String> queries = new ArrayList<>();
    for (JsonNode p : d.path("panels")) {
      p.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
    }
    d.path("templating").path("list").forEach(v -> {
      if (v.has("definition")) {
        queries.add(v.path("definition").asText());
      }
    });
    assertThat(queries).hasSizeGreaterThan(20);
    for (String q : queries) {
      assertThat(metrics(q)).as("a query names a metric the test knows: %s", q).isNotEmpty();
      assertThat(missing(q, scrape)).as("names in %s that /metrics lacks", q).isEmpty();
    }
  }

  @Test
  void aMetricOrLabelThatIsNotServedIsFound() {
    String scrape = "# TYPE aura_models gauge\naura_models 1.0\n"
        + "aura_http_requests_total{endpoint=\"GET /health\",status=\"200\"} 1.0\n";
    assertThat(missing("sum(aura_models)", scrape)).isEmpty();
    assertThat(missing("sum by (endpoint) (rate(aura_http_requests_total{job=~\"$job\"}[5m]))", scrape)).isEmpty();
    assertThat(missing("rate(aura_http_request_total[5m])", scrape)).containsExactly("aura_http_request_total");
    assertThat(missing("aura_http_requests_total{model=\"m\"}", scrape)).containsExactly("aura_http_requests_total{model}");
    assertThat(missing("sum by (model) (aura_http_requests_total)", scrape)).containsExactly("label model");
  }

  /** The metric names a query names. */
  private static Set<String> metrics(String query) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = METRIC.matcher(query);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }

  /**
   * What a query names that the scrape lacks: metrics ({@code name}), labels of a selector
   * ({@code name{label}}) and grouping labels that none of the query's metrics carries
   * ({@code label name}).
   */
  private static List<String> missing(String query, String scrape) {
    List<String> lacking = new ArrayList<>();
    List<String> samples = scrape.lines().filter(l -> !l.startsWith("#")).toList();
    Set<String> names = metrics(query);
    for (String name : names) {
      if (samples.stream().noneMatch(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))) {
        lacking.add(name);
      }
    }
    Matcher s = SELECTOR.matcher(query);
    while (s.find()) {
      String name = s.group(1);
      Matcher label = MATCHER.matcher(s.group(2));
      while (label.find()) {
        String l = label.group(1);
        if (!TARGET_LABELS.contains(l) && samples.stream().noneMatch(x -> x.startsWith(name + "{")
            && x.contains(l + "=\""))) {
          lacking.add(name + "{" + l + "}");
        }
      }
    }
    Matcher g = GROUPING.matcher(query);
    while (g.find()) {
      for (String l : g.group(1).split(",")) {
        String label = l.strip();
        if (!label.isEmpty() && !TARGET_LABELS.contains(label) && names.stream().noneMatch(n -> samples.stream()
            .anyMatch(x -> x.startsWith(n + "{") && x.contains(label + "=\"")))) {
          lacking.add("label " + label);
        }
      }
    }
    return lacking;
  }
}
