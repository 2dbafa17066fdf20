package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.LogManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The command's logging set-up, written into a file (tests never print): every line of the JSON
 * format is one JSON object, SLF4J's, java.util.logging's and {@link System.Logger}'s events alike,
 * and what is under the level is left out.
 */
class LoggingTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Puts the tests' silent set-up back: logback-test.xml, and java.util.logging's own file. */
  @AfterEach
  void silentAgain() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
    SLF4JBridgeHandler.uninstall();
    LogManager.getLogManager().readConfiguration();
  }

  private static void logEverywhere() {
    org.slf4j.Logger slf4j = LoggerFactory.getLogger("dev.auramoe.server.RoutingServer");
    slf4j.info("listening on \"{}\"\nsecond line, tab\t, é ✓", "http://127.0.0.1:8080");
    slf4j.debug("left out at INFO");
    slf4j.warn("a fault", new IllegalStateException("it broke"));
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.helidon.webserver.LoomServer");
    jul.info("Helidon SE started");
    jul.fine("left out at INFO too");
    System.getLogger("io.helidon.common.features.HelidonFeatures").log(System.Logger.Level.WARNING, "a feature warns");
  }

  @Test
  void jsonIsOneObjectPerLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("log.json");
    try (OutputStream out = Files.newOutputStream(file)) {
      Logging.configure(Logging.Level.INFO, Logging.Format.JSON, out);
      logEverywhere();
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(4);
    List<JsonNode> events = new java.util.ArrayList<>();
    for (String line : lines) {
      JsonNode e = JSON.readTree(line);
      assertThat(e.isObject()).as(line).isTrue();
      assertThat(e.path("timestamp").isNumber()).as(line).isTrue();
      events.add(e);
    }
    assertThat(events).extracting(e -> e.path("level").asText()).containsExactly("INFO", "WARN", "INFO", "WARN");
    assertThat(events).extracting(e -> e.path("loggerName").asText()).containsExactly(
        "dev.auramoe.server.RoutingServer", "dev.auramoe.server.RoutingServer", "io.helidon.webserver.LoomServer",
        "io.helidon.common.features.HelidonFeatures");
    assertThat(events.get(0).path("formattedMessage").asText())
        .isEqualTo("listening on \"http://127.0.0.1:8080\"\nsecond line, tab\t, é ✓");
    assertThat(events.get(1).path("throwable").path("message").asText()).isEqualTo("it broke");
    assertThat(events.get(2).path("formattedMessage").asText()).isEqualTo("Helidon SE started");
    assertThat(events.get(3).path("formattedMessage").asText()).isEqualTo("a feature warns");
  }

  @Test
  void textIsLevelAndMessageAndWarnLeavesOutInfo(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("log.txt");
    try (OutputStream out = Files.newOutputStream(file)) {
      Logging.configure(Logging.Level.WARN, Logging.Format.TEXT, out);
      logEverywhere();
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines.getFirst()).isEqualTo("WARN: a fault");
    assertThat(lines.get(1)).isEqualTo("java.lang.IllegalStateException: it broke");
    assertThat(lines.getLast()).isEqualTo("WARN: a feature warns");
    assertThat(lines).noneMatch(l -> l.startsWith("INFO") || l.contains("left out"));
  }

  @Test
  void theTokenizersGpuProbeIsLeftOutByDefaultOnly(@TempDir Path dir) throws Exception {
    for (Logging.Level level : List.of(Logging.Level.WARN, Logging.Level.INFO)) {
      Path file = dir.resolve(level + ".txt");
      try (OutputStream out = Files.newOutputStream(file)) {
        Logging.configure(level, Logging.Format.TEXT, out);
        LoggerFactory.getLogger(Logging.GPU_PROBE).warn("Failed to detect GPU count");
        LoggerFactory.getLogger("ai.djl.Other").warn("another warning");
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      assertThat(lines).as("%s", level).contains("WARN: another warning");
      assertThat(lines.contains("WARN: Failed to detect GPU count")).as("%s", level).isEqualTo(level == Logging.Level.INFO);
    }
  }

  @Test
  void theOptionsAreInheritedAndTheLastOneGivenWins() {
    var cl = AuraCli.commandLine();
    var parsed = cl.parseArgs("--log-level", "error", "serve", "--log-level", "DEBUG", "--log-format", "json");
    assertThat(AuraCli.logOption(parsed, "--log-level", Logging.Level.class)).isEqualTo(Logging.Level.DEBUG);
    assertThat(AuraCli.logOption(parsed, "--log-format", Logging.Format.class)).isEqualTo(Logging.Format.JSON);
    var defaults = AuraCli.commandLine().parseArgs("serve");
    Logging.Level expected = System.getenv(Logging.LEVEL_VARIABLE) == null ? Logging.Level.WARN
        : Logging.Level.valueOf(System.getenv(Logging.LEVEL_VARIABLE).toUpperCase(java.util.Locale.ROOT));
    assertThat(AuraCli.logOption(defaults, "--log-level", Logging.Level.class)).isEqualTo(expected);
    CliTest.Run bad = CliTest.run("serve", "--log-level", "loud");
    assertThat(bad.exitCode()).isEqualTo(AuraCli.EXIT_USAGE);
    assertThat(bad.err()).contains("--log-level").contains("loud");
  }
}
