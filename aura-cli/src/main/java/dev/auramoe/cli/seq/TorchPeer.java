package dev.auramoe.cli.seq;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.cli.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch CPU peer of the training speed ({@code aura-bench/seq/torch_peer.py}), run as a
 * subprocess with Debian's Python ({@code /usr/bin/python3}, which has {@code python3-torch}) on the
 * same data, batch size and thread count as ours; its one JSON object is read back.
 */
public final class TorchPeer {

  /** The Python that has Debian's torch. */
  public static final Path PYTHON = Path.of("/usr/bin/python3");

  /** The script, relative to the checkout. */
  public static final Path SCRIPT = Path.of("aura-bench", "seq", "torch_peer.py");

  /** The longest a peer run may take before it is stopped. */
  static final long TIMEOUT_MINUTES = 20;

  /**
   * One peer measurement.
   *
   * @param model "lstm" or "liquid"
   * @param sequencesPerSecond training sequences per second
   * @param json everything the script printed
   */
  public record Measurement(String model, double sequencesPerSecond, JsonNode json) {}

  private TorchPeer() {}

  /**
   * The script of this checkout: under the {@code aura.home} system property (the launcher sets it),
   * else under the working directory.
   */
  public static Path script() {
    String home = System.getProperty("aura.home");
    return (home == null ? Path.of("") : Path.of(home)).resolve(SCRIPT).toAbsolutePath();
  }

  /** Why the peer cannot run here, or empty when it can (Python present, torch importable, script present). */
  public static Optional<String> unavailable(Path script) {
    if (!Files.isExecutable(PYTHON)) {
      return Optional.of(PYTHON + " is missing (apt-get install -y python3-torch)");
    }
    if (!Files.isRegularFile(script)) {
      return Optional.of("the peer script " + script + " is missing");
    }
    try {
      Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        return Optional.of("torch does not import in " + PYTHON + " (apt-get install -y python3-torch)");
      }
    } catch (IOException e) {
      return Optional.of("cannot run " + PYTHON + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
    return Optional.empty();
  }

  /**
   * Runs the peer for one model and returns its figures.
   *
   * @param extra further options of the script (e.g. {@code --epochs 1})
   * @throws IOException when the script fails or prints no JSON object
   */
  public static Measurement run(Path script, String model, int threads, int batch, int timedBatches,
      List<String> extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString(), "--model", model,
        "--threads", Integer.toString(threads), "--batch", Integer.toString(batch),
        "--timed-batches", Integer.toString(timedBatches)));
    cmd.addAll(extra);
    Path errors = Files.createTempFile("aura-torch-peer", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
      byte[] out = p.getInputStream().readAllBytes();
      boolean done = p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
      if (!done) {
        p.destroyForcibly();
        throw new IOException("the PyTorch peer did not finish in " + TIMEOUT_MINUTES + " minutes: " + cmd);
      }
      String text = new String(out, StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0 || text.isEmpty()) {
        String err = Files.readString(errors, StandardCharsets.UTF_8).strip();
        throw new IOException("the PyTorch peer failed (exit " + p.exitValue() + "): " + String.join(" ", cmd)
            + (err.isEmpty() ? "" : "\n" + tail(err)));
      }
      JsonNode json = Json.mapper().readTree(text.substring(text.lastIndexOf('\n') + 1));
      JsonNode rate = json.get("sequencesPerSecond");
      if (rate == null || !rate.isNumber()) {
        throw new IOException("the PyTorch peer printed no sequencesPerSecond: " + text);
      }
      return new Measurement(model, rate.asDouble(), json);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the PyTorch peer ran", e);
    } finally {
      Files.deleteIfExists(errors);
    }
  }

  private static String tail(String s) {
    String[] lines = s.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 8), lines.length));
  }
}
