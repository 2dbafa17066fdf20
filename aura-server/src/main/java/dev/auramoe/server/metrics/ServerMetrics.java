package dev.auramoe.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The service's metrics in a Micrometer {@link PrometheusMeterRegistry}, written as Prometheus text
 * exposition format 0.0.4: requests and their latency per endpoint, learned samples, models and the
 * parameters they hold, beside the JVM's and the process's own meters (memory, GC, threads, class
 * loading, CPU, uptime, file descriptors).
 *
 * <h2>Families</h2>
 * <pre>
 * aura_http_requests_total{endpoint,status}             counter  requests served
 * aura_http_request_duration_seconds{endpoint,quantile} summary  handler time: p50 and p99 over the last 1-2 minutes,
 *                                                                _count and _sum over the server's life
 * aura_http_request_duration_seconds_max{endpoint}      gauge    longest request of the last 1-2 minutes
 * aura_learned_samples_total                            counter  samples learned and acknowledged
 * aura_models                                           gauge    models the server holds
 * aura_model_parameters                                 gauge    parameters the models hold, open streams included
 * process_cpu_seconds_total                             counter  CPU time of the process
 * jvm_*, process_*, system_*                            Micrometer's JVM and process meters (its system_cpu_count
 *                                                                is system_cpus here, its process CPU time in
 *                                                                nanoseconds process_cpu_seconds_total)
 * </pre>
 *
 * <p>Labels stay bounded: {@code endpoint} is a route template (method and path pattern, never the
 * raw path) or one of a few fixed names, {@code status} an HTTP status; no model, stream or expert
 * name is ever a label.
 *
 * <h2>Writers and readers</h2>
 * {@link #record} and {@link #learned} may be called from any number of request threads at once;
 * once an endpoint and status have been seen they allocate nothing: the meters of each endpoint are
 * found by one map lookup and an array index. {@link #exposition} may be called from any thread.
 *
 * <pre>{@code
 * long t0 = System.nanoTime();
 * ... handle the request ...
 * metrics.record("POST /v1/models/{name}/route", 200, System.nanoTime() - t0);
 * String text = metrics.exposition();   // GET /metrics
 * }</pre>
 */
public final class ServerMetrics implements AutoCloseable {

  /** Latencies above an hour are clamped, as a longer request says nothing more. */
  private static final long MAX_NANOS = 3_600_000_000_000L;

  /** HTTP statuses are three digits (RFC 9110, 15). */
  private static final int STATUSES = 1000;

  /** The quantiles of each endpoint's latency (the dashboards and the load benchmark read these). */
  private static final double[] QUANTILES = {0.5, 0.99};

  /**
   * How long a latency counts in the quantiles and the maximum: each sample goes into two windows of
   * this length, one started a minute after the other, and the older one answers, so the quantiles
   * cover the last one to two minutes. (A third window would smooth them a little more and cost a
   * third more per request: each window is one more histogram to record into.)
   */
  private static final Duration WINDOW = Duration.ofMinutes(2);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private final Counter learns;
  private final JvmGcMetrics gc = new JvmGcMetrics();

  /** One endpoint's meters: its latency, and a request counter per status, made on first use. */
  private final class Endpoint {
    final String name;
    final Timer latency;
    final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(STATUSES);

    Endpoint(String name) {
      this.name = name;
      this.latency = Timer.builder("aura.http.request.duration")
          .description("HTTP request latency (handler time) by endpoint; the quantiles and the maximum cover the last"
              + " 1-2 minutes")
          .tag("endpoint", name)
          .publishPercentiles(QUANTILES)
          .percentilePrecision(2)
          .distributionStatisticExpiry(WINDOW)
          .distributionStatisticBufferLength(2)
          .register(registry);
    }

    Counter status(int status) {
      Counter c = byStatus.get(status);
      if (c == null) {
        c = Counter.builder("aura.http.requests")
            .description("HTTP requests served, by endpoint and status")
            .tag("endpoint", name)
            .tag("status", Integer.toString(status))
            .register(registry);
        // The registry answers the same counter for the same tags, so a lost race changes nothing.
        byStatus.compareAndSet(status, null, c);
      }
      return c;
    }
  }

  /**
   * Metrics of one server, with no parameter gauge.
   *
   * @param models supplies the number of models now
   */
  public ServerMetrics(LongSupplier models) {
    this(models, () -> 0);
  }

  /**
   * Metrics of one server. Close it with the server: the GC meters listen to the JVM's GC notifications.
   *
   * @param models supplies the number of models now (read at each scrape)
   * @param parameters supplies the parameters the models hold now (read at each scrape; constant time)
   */
  public ServerMetrics(LongSupplier models, LongSupplier parameters) {
    // Two of Micrometer's names break Prometheus' conventions (promtool check metrics says so): the
    // CPU time in nanoseconds, written again below in seconds under Prometheus' own name, and a
    // gauge ending in _count, which reads as part of a summary.
    registry.config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
          }
        });
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
          .description("CPU time the process used")
          .baseUnit("seconds")
          .register(registry);
    }
    learns = Counter.builder("aura.learned.samples")
        .description("Samples learned and acknowledged")
        .register(registry);
    Gauge.builder("aura.models", models::getAsLong)
        .description("Models the server holds")
        .register(registry);
    Gauge.builder("aura.model.parameters", parameters::getAsLong)
        .description("Parameters the models hold, open streams and remembered routes included")
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /**
   * Records one finished request.
   *
   * @param endpoint the route template (method and path pattern), never the raw path, so that the
   *     label set stays bounded
   * @param status the response status, three digits
   * @param nanos the time the request took
   * @throws IllegalArgumentException for a status outside 0..999
   */
  public void record(String endpoint, int status, long nanos) {
    if (status < 0 || status >= STATUSES) {
      throw new IllegalArgumentException("an HTTP status has three digits, got " + status);
    }
    Endpoint e = endpoints.get(endpoint);
    if (e == null) {
      e = endpoints.computeIfAbsent(endpoint, Endpoint::new);
    }
    e.status(status).increment();
    e.latency.record(Math.clamp(nanos, 0, MAX_NANOS), TimeUnit.NANOSECONDS);
  }

  /** Counts acknowledged learned samples. */
  public void learned(long samples) {
    learns.increment(samples);
  }

  /** Acknowledged learned samples so far. */
  public long learnedSamples() {
    return (long) learns.count();
  }

  /** Everything, in Prometheus text format 0.0.4 (ends with a newline). */
  public String exposition() {
    return registry.scrape();
  }

  /** The registry behind {@code /metrics}, for meters of an embedding application. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Stops listening to GC notifications and closes the registry. Idempotent. */
  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
