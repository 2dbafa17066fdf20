package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that cannot listen says why in one line, before it recovers anything and without the
 * web server's failed start (and its stack traces) in the log.
 */
class StartupTest {

  /** Records what Helidon logs while it runs (the tests' logging configuration prints nothing). */
  private static List<LogRecord> helidonLog(Runnable r) {
    Logger helidon = Logger.getLogger("io.helidon");
    Level level = helidon.getLevel();
    List<LogRecord> records = new ArrayList<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord record) {
        synchronized (records) {
          records.add(record);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    helidon.setLevel(Level.WARNING);
    helidon.addHandler(h);
    try {
      r.run();
    } finally {
      helidon.removeHandler(h);
      helidon.setLevel(level);
    }
    return records;
  }

  @Test
  void aTakenPortIsOneClearMessageBeforeRecovery(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Path data = dir.resolve("data");
      List<LogRecord> log = helidonLog(() -> assertThatThrownBy(
          () -> RoutingServer.builder().host("127.0.0.1").port(port).dataDir(data).build().start())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("cannot listen on 127.0.0.1:" + port + ": address already in use"));
      assertThat(log).as("the web server never tried").isEmpty();
      assertThat(data).as("nothing recovered or created").doesNotExist();
    }
  }

  @Test
  void anUnknownHostOrAnotherMachinesAddressIsOneClearMessage() {
    assertThatThrownBy(() -> RoutingServer.builder().host("no-such-host.invalid").port(0).build().start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot listen on no-such-host.invalid:0: unknown host");
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    assertThatThrownBy(() -> RoutingServer.builder().host("192.0.2.1").port(0).build().start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cannot listen on 192.0.2.1:0: ")
        .hasMessageContaining("ssign requested address");
  }
}
