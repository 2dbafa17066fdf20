package dev.auramoe.server.metrics;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request counts and latencies per endpoint, written as Prometheus text exposition format 0.0.4.
 *
 * <p>Latencies go through one HdrHistogram {@link Recorder} per endpoint (wait-free for the request
 * threads); each scrape moves the recorder's interval histogram into a cumulative one, so the
 * quantiles cover the server's whole life, like the counts and sums next to them.
 *
 * <h2>Writers and readers</h2>
 * {@link #record} may be called from any number of request threads at once; {@link #exposition} may
 * be called from any thread and serialises with other scrapes.
 *
 * <pre>{@code
 * long t0 = System.nanoTime();
 * ... handle the request ...
 * metrics.record("POST /v1/models/{name}/route", 200, System.nanoTime() - t0);
 * String text = metrics.exposition();   // GET /metrics
 * }</pre>
 */
public final class ServerMetrics {

  /** Latencies above an hour are clamped (the histogram needs a bound). */
  private static final long MAX_NANOS = 3_600_000_000_000L;

  private final ConcurrentMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private final LongAdder learns = new LongAdder();
  private final LongSupplier models;
  private final Object scrapeLock = new Object();

  private static final class Endpoint {
    final Recorder recorder = new Recorder(3);
    final ConcurrentMap<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    final LongAdder count = new LongAdder();
    final LongAdder nanos = new LongAdder();
    /** Cumulative, under the scrape lock. */
    final Histogram total = new Histogram(3);
    Histogram interval;
  }

  /**
   * Metrics of one server.
   *
   * @param models supplies the number of models now
   */
  public ServerMetrics(LongSupplier models) {
    this.models = models;
  }

  /**
   * Records one finished request.
   *
   * @param endpoint the route template (method and path pattern), never the raw path, so that the
   *     label set stays bounded
   * @param status the response status
   * @param nanos the time the request took
   */
  public void record(String endpoint, int status, long nanos) {
    Endpoint e = endpoints.computeIfAbsent(endpoint, k -> new Endpoint());
    e.byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
    long n = Math.clamp(nanos, 0, MAX_NANOS);
    e.count.increment();
    e.nanos.add(n);
    e.recorder.recordValue(n);
  }

  /** Counts acknowledged learned samples. */
  public void learned(long samples) {
    learns.add(samples);
  }

  /** Acknowledged learned samples so far. */
  public long learnedSamples() {
    return learns.sum();
  }

  /** Everything, in Prometheus text format 0.0.4 (ends with a newline). */
  public String exposition() {
    Map<String, Endpoint> sorted = new TreeMap<>(endpoints);
    StringBuilder sb = new StringBuilder(4096);
    sb.append("# HELP aura_http_requests_total HTTP requests served, by endpoint and status.\n");
    sb.append("# TYPE aura_http_requests_total counter\n");
    for (Map.Entry<String, Endpoint> me : sorted.entrySet()) {
      for (Map.Entry<Integer, LongAdder> s : new TreeMap<>(me.getValue().byStatus).entrySet()) {
        sb.append("aura_http_requests_total{endpoint=\"").append(escape(me.getKey())).append("\",status=\"")
            .append(s.getKey()).append("\"} ").append(s.getValue().sum()).append('\n');
      }
    }
    sb.append("# HELP aura_http_request_duration_seconds HTTP request latency by endpoint"
        + " (quantiles over the server's life, HdrHistogram).\n");
    sb.append("# TYPE aura_http_request_duration_seconds summary\n");
    StringBuilder max = new StringBuilder();
    synchronized (scrapeLock) {
      for (Map.Entry<String, Endpoint> me : sorted.entrySet()) {
        Endpoint e = me.getValue();
        // Read count and sum before the histogram: a request recorded in between shows in the
        // quantiles one scrape early, never the other way round.
        long count = e.count.sum();
        long nanos = e.nanos.sum();
        e.interval = e.recorder.getIntervalHistogram(e.interval);
        e.total.add(e.interval);
        String label = "endpoint=\"" + escape(me.getKey()) + "\"";
        for (double q : new double[] {0.5, 0.99}) {
          sb.append("aura_http_request_duration_seconds{").append(label).append(",quantile=\"")
              .append(q).append("\"} ").append(seconds(e.total.getValueAtPercentile(q * 100))).append('\n');
        }
        sb.append("aura_http_request_duration_seconds_sum{").append(label).append("} ").append(seconds(nanos))
            .append('\n');
        sb.append("aura_http_request_duration_seconds_count{").append(label).append("} ").append(count).append('\n');
        max.append("aura_http_request_duration_max_seconds{").append(label).append("} ")
            .append(seconds(e.total.getMaxValue())).append('\n');
      }
    }
    sb.append("# HELP aura_http_request_duration_max_seconds Longest HTTP request by endpoint.\n");
    sb.append("# TYPE aura_http_request_duration_max_seconds gauge\n");
    sb.append(max);
    sb.append("# HELP aura_models Models the server holds.\n");
    sb.append("# TYPE aura_models gauge\n");
    sb.append("aura_models ").append(models.getAsLong()).append('\n');
    sb.append("# HELP aura_learned_samples_total Samples learned and acknowledged.\n");
    sb.append("# TYPE aura_learned_samples_total counter\n");
    sb.append("aura_learned_samples_total ").append(learns.sum()).append('\n');
    return sb.toString();
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.9f", nanos / 1e9);
  }

  /** Escapes a label value: backslash, double quote and line feed. */
  static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
