package dev.auramoe.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.auramoe.server.LogCapture;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Refusals of the service itself are warned about at most once a second; a client's mistakes at DEBUG. */
class RefusalLogTest {

  private static byte[] body(int status) {
    return ("{\"error\":\"e" + status + "\",\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void unavailableAndBusyAreWarnedAboutAtMostOnceASecond() {
    long[] now = {5_000_000_000L};
    RefusalLog refusals = new RefusalLog(() -> now[0]);
    try (LogCapture log = new LogCapture(Level.INFO)) {
      refusals.refused("POST /v1/models/{name}/learn", 503, body(503));
      now[0] += 400_000_000L;
      refusals.refused("POST /v1/models/{name}/learn", 503, body(503));
      refusals.refused("PUT /v1/models/{name}/streams/{stream}", 429, body(429));
      refusals.refused("POST /v1/models/{name}/route", 400, body(400));
      refusals.refused("GET /health", 200, body(200));
      now[0] += 700_000_000L;
      refusals.refused("PUT /v1/models/{name}/streams/{stream}", 429, body(429));
      assertThat(log.lines()).containsExactly(
          "WARN dev.auramoe.server.http.RefusalLog: POST /v1/models/{name}/learn refused with 503: "
              + "{\"error\":\"e503\",\"status\":503}",
          "WARN dev.auramoe.server.http.RefusalLog: PUT /v1/models/{name}/streams/{stream} refused with 429: "
              + "{\"error\":\"e429\",\"status\":429} (2 such refusals in the last second were not logged)");
    }
  }

  @Test
  void aClientsMistakeIsLoggedAtDebugOnly() {
    RefusalLog refusals = new RefusalLog();
    try (LogCapture log = new LogCapture(Level.DEBUG)) {
      refusals.refused("POST /v1/models/{name}/route", 400, body(400));
      refusals.refused("GET /v1/models/{name}", 404, body(404));
      refusals.refused("GET /v1/models", 200, body(200));
      assertThat(log.events()).hasSize(2).allMatch(e -> e.getLevel() == Level.DEBUG);
    }
  }
}
