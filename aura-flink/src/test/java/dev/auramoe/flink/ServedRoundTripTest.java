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
 * A model goes between the cluster and the routing service as snapshot bytes alone: the job's
 * {@code --model-out} file is imported into the service ({@code POST /v1/models/{name}/import}), which
 * learns on and keeps it over a restart; the service's export ({@code GET /v1/models/{name}/snapshot})
 * starts a job ({@code --initial-model}) that learns on, and that job's model is imported back. At every
 * step the digest is that of one JVM that learned the same records in the same order.
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
  void aModelLearnsOnTheClusterAndInTheServiceAndGoesBackAndForth(@TempDir Path dir) throws Exception {
    Path first = dir.resolve("first.jsonl");
    Path second = dir.resolve("second.jsonl");
    Path third = dir.resolve("third.jsonl");
    SampleRecords.write(first, 1000, 8, IN, 1, 10);
    SampleRecords.write(second, 300, 5, IN, 2, 10);
    SampleRecords.write(third, 1000, 6, IN, 3, 10);
    MixtureOfExperts single = OPTIONS.build();
    Path data = dir.resolve("aura-data");

    // The cluster learns the first file from fresh weights and writes its model.
    Path fromCluster = dir.resolve("cluster.aura");
    JobSummary s = run(new JobSpec(List.of(first.toString()), null, 2, 1, OPTIONS, null, fromCluster.toString(),
        null));
    learnAlone(first, single);
    assertThat(s.digest).isEqualTo(Snapshots.digest(single));

    // The service imports the job's file: the job's digest; it learns the second file.
    try (RoutingServer server = RoutingServer.builder().host("127.0.0.1").port(0).dataDir(data).build().start()) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/models";
      JsonNode imported = importModel(base + "/m", Files.readAllBytes(fromCluster));
      assertThat(imported.get("digest").asText()).isEqualTo(s.digest);
      learn(base + "/m", second, single);
      assertThat(get(base + "/m?digest=true").get("digest").asText()).isEqualTo(Snapshots.digest(single));
    }

    // Restarted, the service has the import and what it learned after; its export goes to the cluster.
    byte[] served;
    try (RoutingServer server = RoutingServer.builder().host("127.0.0.1").port(0).dataDir(data).build().start()) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/models";
      assertThat(get(base + "/m?digest=true").get("digest").asText()).isEqualTo(Snapshots.digest(single));
      HttpResponse<byte[]> exported = http.send(HttpRequest.newBuilder(URI.create(base + "/m/snapshot")).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(exported.statusCode()).isEqualTo(200);
      served = exported.body();
    }

    // The cluster starts from the export and learns the third file.
    Path backFromCluster = dir.resolve("cluster-2.aura");
    JobSummary t = run(new JobSpec(List.of(third.toString()), null, 2, 1, OPTIONS, served,
        backFromCluster.toString(), null));
    learnAlone(third, single);
    assertThat(t.digest).isEqualTo(Snapshots.digest(single));

    // And back to the service once more, in place of the model it had.
    try (RoutingServer server = RoutingServer.builder().host("127.0.0.1").port(0).dataDir(data).build().start()) {
      String base = "http://127.0.0.1:" + server.port() + "/v1/models";
      send(HttpRequest.newBuilder(URI.create(base + "/m")).DELETE(), 200);
      assertThat(importModel(base + "/m", Files.readAllBytes(backFromCluster)).get("digest").asText())
          .isEqualTo(t.digest);
    }
  }

  /** Learns a file in {@code single} alone, as the job does with one shard. */
  private static void learnAlone(Path file, MixtureOfExperts single) throws Exception {
    READER.forEach(file, r -> {
      single.ensureStream(r.stream);
      single.learn(r.stream, r.x, r.y, new float[1]);
    });
  }

  private JsonNode importModel(String model, byte[] snapshot) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(model + "/import")).header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(snapshot)), 201);
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
