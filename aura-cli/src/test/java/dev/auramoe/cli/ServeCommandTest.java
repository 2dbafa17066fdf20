package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
  }

  @Test
  void aServerThatCannotStartSaysWhyInOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    String nl = System.lineSeparator();
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CliTest.Run busy = CliTest.run("serve", "--port", Integer.toString(port), "--data", dir.resolve("d").toString());
      assertThat(busy.exitCode()).isEqualTo(1);
      assertThat(busy.err()).isEqualTo("aura serve: cannot listen on 127.0.0.1:" + port + ": address already in use" + nl);
      assertThat(dir.resolve("d")).as("refused before any recovery").doesNotExist();
    }
    CliTest.Run host = CliTest.run("serve", "--host", "no-such-host.invalid", "--port", "0", "--in-memory");
    assertThat(host.exitCode()).isEqualTo(1);
    assertThat(host.err()).isEqualTo("aura serve: cannot listen on no-such-host.invalid:0: unknown host" + nl);
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("a-file"), "x");
    CliTest.Run data = CliTest.run("serve", "--port", "0", "--data", file.toString());
    assertThat(data.exitCode()).isEqualTo(1);
    assertThat(data.err()).startsWith("aura serve: cannot recover from " + file + ": ").contains("Not a directory")
        .endsWith(nl).hasLineCount(1);
  }
}
