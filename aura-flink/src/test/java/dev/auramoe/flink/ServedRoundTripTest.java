package dev.auramoe.flink;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.server.RoutingServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model served by the routing service goes to the cluster through the service's own snapshot file,
 * learns there, and comes back to the service, which learns on: at every step the digest is that of
 * one JVM that learned the same records in the same order.
 */
class ServedRoundTripTest {

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final int IN = 4;
  private static final ModelOptions OPTIONS = ModelOptions.of(IN, 1);
  private static final LearnRecords READER = new LearnRecords(IN, 1);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aServedModelLearnsOnTheClusterAndIsServedAgain(@TempDir Path dir) throws Exception {
    Path first = dir.resolve("first.jsonl");
    Path second = dir.resolve("second.jsonl");
    Path third = dir.resolve("third.jsonl");
    SampleRecords.write(first, 300, 5, IN, 1, 10);
    SampleRecords.write(second, 1000, 8, IN, 2, 10);
    SampleRecords.write(third, 300, 6, IN, 3, 10);
    MixtureOfExperts single = OPTIONS.build();
    Path data = dir.resolve("aura-data");

    // The service creates the model and learns the first file; its snapshot file goes to the cluster.
    Path served;
    try (RoutingServer server = RoutingServer.builder().host("127.0.0.1").port(0).dataDir(data).build().start()) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/models";
      post(base, "{\"name\":\"m\",\"inputDim\":" + IN + "}", 201);
      learn(base + "/m", first, single);
      JsonNode snap = post(base + "/m/snapshot", "", 200);
      assertThat(get(base + "/m?digest=true").get("digest").asText()).isEqualTo(Snapshots.digest(single));
      served = data.resolve("snapshots").resolve("m." + snap.get("seq").asLong() + ".aura");
    }

    // The cluster starts from the service's snapshot and learns the second file.
    Path fromCluster = dir.resolve("cluster.aura");
    JobSummary s = run(new JobSpec(List.of(second.toString()), null, 2, 1, OPTIONS, Files.readAllBytes(served),
        fromCluster.toString(), null));
    READER.forEach(second, r -> {
      single.ensureStream(r.stream);
      single.learn(r.stream, r.x, r.y, new float[1]);
    });
    assertThat(s.digest).isEqualTo(Snapshots.digest(single));

    // Back to the service: the cluster's model in place of the model's latest snapshot (nothing was
    // logged after it), and the service serves it and learns the third file.
    Files.copy(fromCluster, served, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (RoutingServer server = RoutingServer.builder().host("127.0.0.1").port(0).dataDir(data).build().start()) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/models";
      assertThat(get(base + "/m?digest=true").get("digest").asText()).isEqualTo(s.digest);
      learn(base + "/m", third, single);
      assertThat(get(base + "/m?digest=true").get("digest").asText()).isEqualTo(Snapshots.digest(single));
    }
  }

  /** Learns a file through the service (opening each new stream first) and in {@code single}. */
  private void learn(String model, Path file, MixtureOfExperts single) throws Exception {
    Set<String> open = new HashSet<>(single.streams());
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      LearnRecord r = READER.parse(line, file.toString());
      if (open.add(r.stream)) {
        send(HttpRequest.newBuilder(URI.create(model + "/streams/" + r.stream))
            .PUT(HttpRequest.BodyPublishers.noBody()), 201);
      }
      post(model + "/learn", line, 200);
      single.ensureStream(r.stream);
      single.learn(r.stream, r.x, r.y, new float[1]);
    }
  }

  private JsonNode post(String uri, String body, int status) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(uri)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)), status);
  }

  private JsonNode get(String uri) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(uri)).GET(), 200);
  }

  private JsonNode send(HttpRequest.Builder request, int status) throws Exception {
    HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
  }

  private static JobSummary run(JobSpec spec) throws Exception {
    List<JobSummary> out = new ArrayList<>();
    try (CloseableIterator<JobSummary> it = AuraFlinkJob.build(StreamExecutionEnvironment.getExecutionEnvironment(),
        spec, null).executeAndCollect()) {
      it.forEachRemaining(out::add);
    }
    assertThat(out).hasSize(1);
    return out.getFirst();
  }
}
