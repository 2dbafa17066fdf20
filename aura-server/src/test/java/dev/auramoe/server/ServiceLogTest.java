package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service's own log events go through SLF4J, each at its level. */
class ServiceLogTest {

  @Test
  void startRecoverySnapshotAndRefusalsAreLogged(@TempDir Path dir) {
    try (LogCapture log = new LogCapture(Level.DEBUG)) {
      try (RoutingServer server = RoutingServer.builder().port(0).dataDir(dir).build().start()) {
        TestClient client = new TestClient(server.port());
        client.postJson("/v1/models", Map.of("name", "m", "inputDim", 2));
        client.postJson("/v1/models/m/learn", Map.of("x", List.of(1, 2), "y", List.of(1)));
        client.postJson("/v1/models/m/route", Map.of("x", List.of(1)));
        assertThat(client.post("/v1/models/m/snapshot", "").status()).isEqualTo(200);
      }
      try (RoutingServer again = RoutingServer.builder().port(0).dataDir(dir).build().start()) {
        assertThat(again.registry().size()).isEqualTo(1);
      }
      List<String> lines = log.lines();
      assertThat(lines).anyMatch(l -> l.startsWith("INFO dev.auramoe.server.persist.DataStore: recovered " + dir)
              && l.endsWith("models 0, snapshots loaded 0, operations replayed 0, last sequence 0"))
          .anyMatch(l -> l.startsWith("INFO dev.auramoe.server.RoutingServer: listening on http://127.0.0.1:"))
          .anyMatch(l -> l.startsWith("INFO dev.auramoe.server.persist.DataStore: snapshot of model 'm' written at sequence"))
          .anyMatch(l -> l.startsWith("INFO dev.auramoe.server.persist.DataStore: recovered " + dir)
              && l.contains("models 1, snapshots loaded 1, operations replayed "))
          .anyMatch(l -> l.startsWith("DEBUG dev.auramoe.server.http.RefusalLog: POST /v1/models/{name}/route refused "
              + "with 400: {\"error\":"));
    }
  }

  @Test
  void quietByDefault(@TempDir Path dir) {
    try (LogCapture log = new LogCapture(Level.WARN)) {
      try (RoutingServer server = RoutingServer.builder().port(0).dataDir(dir).build().start()) {
        TestClient client = new TestClient(server.port());
        client.postJson("/v1/models", Map.of("name", "m", "inputDim", 2));
        client.postJson("/v1/models/m/route", Map.of("x", List.of(1)));
      }
      assertThat(log.lines()).isEmpty();
    }
  }
}
