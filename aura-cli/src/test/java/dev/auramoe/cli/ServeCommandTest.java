package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@code aura serve} starts the real server on loopback and answers /health. */
class ServeCommandTest {

  @Test
  void serveAnswersHealthOnLoopback(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CompletableFuture<CliTest.Run> run = CompletableFuture.supplyAsync(
        () -> CliTest.run("serve", "--port", Integer.toString(port), "--data", dir.resolve("data").toString(),
            "--stop-after-ms", "6000"));
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<String> health = null;
    for (int i = 0; i < 50 && health == null; i++) {
      try {
        health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException notYet) {
        Thread.sleep(100);
      }
    }
    assertThat(health).isNotNull();
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");
    CliTest.Run r = run.get();
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("listening on http://127.0.0.1:" + port).contains("data in");
    assertThat(dir.resolve("data/wal")).isDirectory();
    assertThat(CliTest.run("serve", "--port", "70000").exitCode()).isNotZero();
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      CliTest.Run busy = CliTest.run("serve", "--port", Integer.toString(taken.getLocalPort()), "--in-memory");
      assertThat(busy.exitCode()).as("a taken port ends the command instead of hanging").isEqualTo(1);
      assertThat(busy.err()).contains("cannot listen on");
    }
    java.nio.file.Path empty = java.nio.file.Files.writeString(dir.resolve("token"), "  \n");
    CliTest.Run bad = CliTest.run("serve", "--port", "0", "--in-memory", "--token-file", empty.toString(),
        "--stop-after-ms", "0");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.err()).contains("--token-file");
    for (List<String> args : List.of(List.of("--evict-idle-streams", "soon"), List.of("--evict-idle-streams", "-1"),
        List.of("--max-streams", "-3"), List.of("--token-reads"))) {
      List<String> cmd = new java.util.ArrayList<>(List.of("serve", "--port", "0", "--in-memory", "--stop-after-ms",
          "0"));
      cmd.addAll(args);
      CliTest.Run refused = CliTest.run(cmd.toArray(String[]::new));
      assertThat(refused.exitCode()).as("%s", args).isNotZero();
      assertThat(refused.err()).contains(args.getFirst());
    }
  }
}
