import dev.auramoe.server.RoutingServer;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.model.ModelEntry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The cost of streams, measured in one run (see streams.sh and README.md beside this file):
 *
 * <ol>
 *   <li>Routes: a durable server (data directory, every route logged) holds two models of the same
 *       spec, "one" with only its default stream and "many" with {@code --streams} more. Single-input
 *       routes go to "one" and to a random stream of "many" in turn, sequentially over one keep-alive
 *       HTTP/1.1 connection, then the same through the server's model entries in process (no HTTP).
 *       It prints the p50, p90 and p99 of both models and the ratio of the p50s.
 *   <li>Recovery: logs of N and 2N operations (half stream opens, half routes on random open
 *       streams, no snapshot) are recovered {@code --recoveries} times each; it prints the median
 *       recovery time of each and their ratio (2 when recovery is linear in the log, 4 when
 *       quadratic).
 *   <li>Reads beside routes: routes on a large model ({@code --reads-hidden}) alone, then while
 *       another client reads its info in a loop, without and with {@code ?digest=true}.
 *   <li>Opens beside another model's snapshots: stream opens on a small model alone, then while a
 *       loop routes on the large model and snapshots it (each snapshot copies its state under its
 *       lock): an open must not wait for another model.
 * </ol>
 * The route part also times listing the streams of the model with many of them, a page at a time.
 */
public final class StreamsBench {

  private static final int INPUT = 16;

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    int streams = Integer.parseInt(o.getOrDefault("streams", "100000"));
    int routes = Integer.parseInt(o.getOrDefault("routes", "2000"));
    int rounds = Integer.parseInt(o.getOrDefault("rounds", "5"));
    int ops = Integer.parseInt(o.getOrDefault("ops", "100000"));
    int recoveries = Integer.parseInt(o.getOrDefault("recoveries", "5"));
    int readsHidden = Integer.parseInt(o.getOrDefault("reads-hidden", "2048"));
    int readRoutes = Integer.parseInt(o.getOrDefault("read-routes", "500"));
    int opens = Integer.parseInt(o.getOrDefault("opens", "2000"));
    Path tmp = Files.createTempDirectory("aura-streams-bench");
    try {
      System.out.printf(Locale.ROOT, "machine: %s, %d CPUs, Java %s, max heap %d MiB%n", cpu(),
          Runtime.getRuntime().availableProcessors(), Runtime.version(), Runtime.getRuntime().maxMemory() >> 20);
      if (streams > 0) {
        routes(tmp.resolve("routes"), streams, routes, rounds);
      }
      if (ops > 0) {
        recovery(tmp, ops, recoveries);
      }
      if (readsHidden > 0) {
        reads(tmp.resolve("reads"), readsHidden, readRoutes);
      }
      if (readsHidden > 0 && opens > 0) {
        opens(tmp.resolve("opens"), readsHidden, opens);
      }
    } finally {
      delete(tmp);
    }
  }

  // ---------------------------------------------------------------- routes

  private static void routes(Path data, int streams, int routes, int rounds) throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).snapshotEvery(Long.MAX_VALUE)
        .build().start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + server.port();
      for (String name : List.of("one", "many")) {
        send(http, base, "POST", "/v1/models", "{\"name\": \"" + name + "\", \"inputDim\": " + INPUT + "}", 201);
      }
      ModelEntry many = server.registry().get("many");
      ModelEntry one = server.registry().get("one");
      long t0 = System.nanoTime();
      for (int i = 0; i < streams; i++) {
        many.openStream("s" + i); // logged like a PUT, without the HTTP round trip
      }
      System.out.printf(Locale.ROOT, "opened %,d streams on model 'many' in %.1f s (in process, logged); "
          + "its stats: %s%n", streams, (System.nanoTime() - t0) / 1e9,
          send(http, base, "GET", "/v1/models/many/stats", null, 200).replaceAll(",\"balance\".*", "}"));
      SplittableRandom rnd = new SplittableRandom(42);
      float[] x = new float[INPUT];
      for (int i = 0; i < INPUT; i++) {
        x[i] = (float) rnd.nextDouble(-1, 1);
      }
      String xs = java.util.Arrays.toString(x);
      // Warm-up (JIT), not reported.
      for (int i = 0; i < 4 * routes; i++) {
        send(http, base, "POST", "/v1/models/one/route", "{\"x\": " + xs + "}", 200);
        send(http, base, "POST", "/v1/models/many/route", "{\"x\": " + xs + ", \"stream\": \"s" + rnd.nextInt(streams)
            + "\"}", 200);
        one.route("default", x);
        many.route("s" + rnd.nextInt(streams), x);
      }
      Histogram httpOne = histogram();
      Histogram httpMany = histogram();
      Histogram inOne = histogram();
      Histogram inMany = histogram();
      String oneBody = "{\"x\": " + xs + "}";
      for (int r = 0; r < rounds; r++) {
        // One route of each model in turn, so that both see the same machine.
        for (int i = 0; i < routes; i++) {
          String manyBody = "{\"x\": " + xs + ", \"stream\": \"s" + rnd.nextInt(streams) + "\"}";
          long s = System.nanoTime();
          send(http, base, "POST", "/v1/models/one/route", oneBody, 200);
          long m = System.nanoTime();
          send(http, base, "POST", "/v1/models/many/route", manyBody, 200);
          long e = System.nanoTime();
          httpOne.recordValue((m - s) / 1000);
          httpMany.recordValue((e - m) / 1000);
        }
        for (int i = 0; i < routes; i++) {
          String stream = "s" + rnd.nextInt(streams);
          long s = System.nanoTime();
          one.route("default", x);
          long m = System.nanoTime();
          many.route(stream, x);
          long e = System.nanoTime();
          inOne.recordValue((m - s) / 10);
          inMany.recordValue((e - m) / 10);
        }
      }
      System.out.printf(Locale.ROOT, "%nroutes: %d rounds of %d per model and path, one of each model in turn; "
          + "'many' routes a random one of its %,d streams%n", rounds, routes, streams + 1);
      System.out.printf(Locale.ROOT, "%-30s %10s %10s %10s%n", "path, model", "p50 us", "p90 us", "p99 us");
      row("HTTP, one stream", httpOne, 1);
      row("HTTP, " + String.format(Locale.ROOT, "%,d", streams + 1) + " streams", httpMany, 1);
      row("in process, one stream", inOne, 100);
      row("in process, " + String.format(Locale.ROOT, "%,d", streams + 1) + " streams", inMany, 100);
      System.out.printf(Locale.ROOT, "route p50 ratio, %,d streams / one stream: HTTP %.2f, in process %.2f "
          + "(target: at most 2)%n", streams + 1,
          (double) httpMany.getValueAtPercentile(50) / httpOne.getValueAtPercentile(50),
          (double) inMany.getValueAtPercentile(50) / inOne.getValueAtPercentile(50));
      listing(http, base, streams);
    }
  }

  /**
   * Times GET /v1/models/many/streams: the first page (the default page size) and a page of 100 from
   * the middle. A server that does not page answers every id each time.
   */
  private static void listing(HttpClient http, String base, int streams) throws Exception {
    String middle = "s" + streams / 2;
    String[] paths = {"/v1/models/many/streams", "/v1/models/many/streams?after=" + middle + "&limit=100"};
    System.out.printf(Locale.ROOT, "%nlisting the streams of 'many' (%,d): 200 GETs each, after 50 to warm up%n",
        streams + 1);
    System.out.printf(Locale.ROOT, "%-52s %10s %10s %12s%n", "request", "p50 us", "p99 us", "bytes");
    for (String path : paths) {
      int bytes = 0;
      for (int i = 0; i < 50; i++) {
        bytes = send(http, base, "GET", path, null, 200).length();
      }
      Histogram h = histogram();
      for (int i = 0; i < 200; i++) {
        long t = System.nanoTime();
        send(http, base, "GET", path, null, 200);
        h.recordValue((System.nanoTime() - t) / 1000);
      }
      System.out.printf(Locale.ROOT, "%-52s %10d %10d %,12d%n", "GET " + path.replace("/v1/models/many", ""),
          h.getValueAtPercentile(50), h.getValueAtPercentile(99), bytes);
    }
  }

  private static Histogram histogram() {
    return new Histogram(60_000_000L, 3);
  }

  private static void row(String what, Histogram h, double per) {
    System.out.printf(Locale.ROOT, "%-30s %10.1f %10.1f %10.1f%n", what, h.getValueAtPercentile(50) / per,
        h.getValueAtPercentile(90) / per, h.getValueAtPercentile(99) / per);
  }

  private static String send(HttpClient http, String base, String method, String path, String body, int expected)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  // ---------------------------------------------------------------- recovery

  private static void recovery(Path tmp, int ops, int recoveries) throws Exception {
    System.out.printf(Locale.ROOT, "%nrecovery: logs of N and 2N operations (half stream opens, half routes on "
        + "random open streams), no snapshot; median of %d recoveries each (the time the data store reports: reading "
        + "and replaying the log), after one to warm up%n", recoveries);
    System.out.printf(Locale.ROOT, "%12s %12s %14s %12s%n", "operations", "streams", "recovery ms", "ops/s");
    long[] ms = new long[2];
    for (int k = 0; k < 2; k++) {
      int n = ops << k;
      Path data = tmp.resolve("recovery-" + n);
      write(data, n);
      List<Long> times = new ArrayList<>();
      int open = 0;
      for (int i = k == 0 ? -1 : 0; i < recoveries; i++) { // one more of the first log first: JIT warm-up
        System.gc();
        try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).snapshotEvery(Long.MAX_VALUE)
            .build().start()) {
          if (i >= 0) {
            // The store's own figure: reading the log and replaying it, without starting the web server.
            times.add(((Number) server.store().recovery().get("millis")).longValue());
          }
          open = server.registry().get("r").streamCount();
        }
      }
      times.sort(Comparator.naturalOrder());
      ms[k] = times.get(times.size() / 2);
      System.out.printf(Locale.ROOT, "%,12d %,12d %14d %,12.0f%n", n + 1, open, ms[k], (n + 1) / (ms[k] / 1000.0));
    }
    System.out.printf(Locale.ROOT, "recovery time ratio, 2N / N: %.2f (2 when linear in the log, 4 when "
        + "quadratic)%n", (double) ms[1] / ms[0]);
  }

  /**
   * A data directory whose log holds a model's creation and {@code n} operations; the model may
   * hold every stream the log opens (up to the server's heap budget).
   */
  private static void write(Path data, int n) throws Exception {
    ServerLimits roomy = ServerLimits.DEFAULT.withMaxParameters(1L << 40);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).snapshotEvery(Long.MAX_VALUE)
        .limits(roomy).build().start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      send(http, "http://127.0.0.1:" + server.port(), "POST", "/v1/models",
          "{\"name\": \"r\", \"inputDim\": " + INPUT + "}", 201);
      ModelEntry e = server.registry().get("r");
      SplittableRandom rnd = new SplittableRandom(7);
      float[] x = new float[INPUT];
      int opened = 0;
      for (int i = 0; i < n; i++) {
        if (i % 2 == 0) {
          e.openStream("s" + opened++);
        } else {
          x[i % INPUT] = (float) rnd.nextDouble(-1, 1);
          e.route("s" + rnd.nextInt(opened), x);
        }
      }
    }
  }

  // ---------------------------------------------------------------- reads beside routes

  /**
   * Routes on a large model alone, then while another client reads the model's info in a loop,
   * without and with the digest: the reads must not hold the routes up (a GET of the info used to
   * serialise the whole model under its lock).
   */
  private static void reads(Path data, int hidden, int routes) throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).snapshotEvery(Long.MAX_VALUE)
        .build().start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + server.port();
      send(http, base, "POST", "/v1/models", "{\"name\": \"big\", \"inputDim\": " + INPUT + ", \"hidden\": "
          + hidden + "}", 201);
      long parameters = server.registry().get("big").parameters();
      String body = "{\"x\": " + java.util.Arrays.toString(new float[INPUT]).replace("0.0", "0.5") + "}";
      for (int i = 0; i < routes; i++) {
        send(http, base, "POST", "/v1/models/big/route", body, 200);
      }
      System.out.printf(Locale.ROOT, "%nreads beside routes: model 'big' (hidden %d, %,d parameters), %d routes "
          + "each, while another client reads in a loop%n", hidden, parameters, routes);
      System.out.printf(Locale.ROOT, "%-36s %10s %10s %10s %8s%n", "reader", "p50 us", "p90 us", "p99 us", "reads");
      for (String reader : new String[] {null, "/v1/models/big", "/v1/models/big?digest=true"}) {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        Thread t = Thread.ofPlatform().start(() -> {
          HttpClient other = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          while (reader != null && !stop.get()) {
            try {
              send(other, base, "GET", reader, null, 200);
              reads.incrementAndGet();
            } catch (IOException | InterruptedException e) {
              throw new IllegalStateException(e);
            }
          }
        });
        Histogram h = histogram();
        for (int i = 0; i < routes; i++) {
          long s = System.nanoTime();
          send(http, base, "POST", "/v1/models/big/route", body, 200);
          h.recordValue((System.nanoTime() - s) / 1000);
        }
        stop.set(true);
        t.join();
        System.out.printf(Locale.ROOT, "%-36s %10d %10d %10d %8d%n", reader == null ? "none" : "GET " + reader,
            h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99), reads.get());
      }
    }
  }

  // ---------------------------------------------------------------- opens beside another model

  /**
   * Stream opens on a small model alone, then while another thread routes on a large model and
   * snapshots it in a loop (each snapshot copies the large model's state under its lock), in
   * process: an open on one model must not wait for another model's lock.
   */
  private static void opens(Path data, int hidden, int opens) throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).snapshotEvery(Long.MAX_VALUE)
        .build().start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + server.port();
      send(http, base, "POST", "/v1/models", "{\"name\": \"small\", \"inputDim\": " + INPUT + "}", 201);
      send(http, base, "POST", "/v1/models", "{\"name\": \"big\", \"inputDim\": " + INPUT + ", \"hidden\": "
          + hidden + "}", 201);
      ModelEntry small = server.registry().get("small");
      ModelEntry big = server.registry().get("big");
      float[] x = new float[INPUT];
      java.util.Arrays.fill(x, 0.5f);
      for (int i = 0; i < opens; i++) { // warm-up (JIT), not reported
        small.openStream("w" + i);
        small.closeStream("w" + i);
      }
      System.out.printf(Locale.ROOT, "%nopens beside another model's snapshots: %d stream opens on model 'small', in "
          + "process, alone and while a loop routes on 'big' (hidden %d) and snapshots it%n", opens, hidden);
      System.out.printf(Locale.ROOT, "%-36s %10s %10s %10s %10s%n", "beside", "p50 us", "p99 us", "max us", "snapshots");
      for (boolean loop : new boolean[] {false, true}) {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong snapshots = new java.util.concurrent.atomic.AtomicLong();
        Thread t = Thread.ofPlatform().start(() -> {
          while (loop && !stop.get()) {
            big.route("default", x);
            server.store().snapshot("big");
            snapshots.incrementAndGet();
          }
        });
        Histogram h = histogram();
        for (int i = 0; i < opens; i++) {
          String id = (loop ? "b" : "a") + i;
          long s = System.nanoTime();
          small.openStream(id);
          h.recordValue((System.nanoTime() - s) / 1000);
          Thread.sleep(1); // spread the opens over the loop's copies
        }
        stop.set(true);
        t.join();
        System.out.printf(Locale.ROOT, "%-36s %10d %10d %10d %10d%n", loop ? "routes and snapshots of 'big'" : "nothing",
            h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue(), snapshots.get());
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: [--streams N] [--routes R] [--rounds K] [--ops N] "
            + "[--recoveries K] [--reads-hidden H] [--read-routes R] [--opens N]; got " + args[i]);
      }
      o.put(args[i].substring(2), args[++i]);
    }
    return o;
  }

  private static String cpu() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.replaceFirst(".*:\\s*", ""))
          .orElse(System.getProperty("os.arch"));
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
