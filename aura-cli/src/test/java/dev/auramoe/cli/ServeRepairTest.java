package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.server.RoutingServer;
import dev.auramoe.server.wal.WriteAheadLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aura serve} over a damaged log: one line naming the file and the offset, exit status 1;
 * with {@code --repair-wal} it starts and prints what the repair dropped.
 */
class ServeRepairTest {

  @Test
  void aDamagedLogIsRefusedInOneLineAndRepairedOnRequest(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      HttpClient http = HttpClient.newHttpClient();
      post(http, server.port(), "/v1/models", "{\"name\":\"m\",\"inputDim\":2}");
      for (int i = 0; i < 10; i++) {
        post(http, server.port(), "/v1/models/m/learn", "{\"x\":[" + i + ",1],\"y\":[" + (i % 3) + "]}");
      }
    }
    Path segment = data.resolve("wal/wal-00000000000000000001.log");
    byte[] b = Files.readAllBytes(segment);
    // The sixth record (the fifth learn): skip five records (and the batch markers between them),
    // then flip a payload byte.
    int at = 0;
    for (int r = 0; r < 5 || b[at] != WriteAheadLog.MAGIC; ) {
      if (b[at] == WriteAheadLog.MAGIC) {
        r++;
      }
      at += 17 + ByteBuffer.wrap(b).getInt(at + 1);
    }
    b[at + 20] ^= 0x01;
    Files.write(segment, b);

    CliTest.Run refused = CliTest.run("serve", "--port", "0", "--data", data.toString(), "--stop-after-ms", "0");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err().strip()).doesNotContain("\n").startsWith("aura serve: cannot recover from")
        .contains(segment.toString()).contains("byte offset " + at).contains("--repair-wal");
    assertThat(Files.readAllBytes(segment)).isEqualTo(b);

    CliTest.Run repaired = CliTest.run("serve", "--port", "0", "--data", data.toString(), "--repair-wal",
        "--stop-after-ms", "0");
    assertThat(repaired.exitCode()).as(repaired.err()).isZero();
    assertThat(repaired.out()).contains("--repair-wal: {").contains("\"firstSequence\":6,\"lastSequence\":6")
        .contains("\"offset\":" + at);
    CliTest.Run again = CliTest.run("serve", "--port", "0", "--data", data.toString(), "--repair-wal",
        "--stop-after-ms", "0");
    assertThat(again.out()).contains("needed no repair");
  }

  private static void post(HttpClient http, int port, String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
  }
}
