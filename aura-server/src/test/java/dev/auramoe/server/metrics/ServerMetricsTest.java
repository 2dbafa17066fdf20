package dev.auramoe.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.testing.Allocations;
import org.junit.jupiter.api.Test;

/** Recording a request is cheap: no allocation once its endpoint and status have been seen. */
class ServerMetricsTest {

  @Test
  void recordingASeenEndpointAndStatusAllocatesNothing() {
    try (ServerMetrics metrics = new ServerMetrics(() -> 1)) {
      String[] endpoints = {"POST /v1/models/{name}/route", "POST /v1/models/{name}/learn"};
      int[] statuses = {200, 400, 404, 503};
      long[] i = {0};
      long bytes = Allocations.ofSteadyState(() -> {
        long n = i[0]++;
        metrics.record(endpoints[(int) (n & 1)], statuses[(int) ((n >> 1) & 3)], 10_000 + (n & 1023) * 17);
        metrics.learned(1);
      }, 200_000, 10_000, 20);
      assertThat(bytes).as("bytes allocated by 10,000 records").isLessThan(1_024);
      assertThat(metrics.learnedSamples()).isEqualTo(i[0]);
      assertThat(metrics.exposition())
          .contains("aura_http_requests_total{endpoint=\"POST /v1/models/{name}/learn\",status=\"404\"}");
    }
  }

  @Test
  void aStatusIsThreeDigits() {
    try (ServerMetrics metrics = new ServerMetrics(() -> 1)) {
      assertThatThrownBy(() -> metrics.record("GET /health", 1000, 1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1000");
      assertThatThrownBy(() -> metrics.record("GET /health", -1, 1)).isInstanceOf(IllegalArgumentException.class);
      metrics.record("GET /health", 999, -5);
      assertThat(metrics.exposition()).contains("aura_http_requests_total{endpoint=\"GET /health\",status=\"999\"} 1.0")
          .contains("aura_http_request_duration_seconds_sum{endpoint=\"GET /health\"} 0.0");
    }
  }
}
