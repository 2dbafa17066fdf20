package dev.auramoe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.logging.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code aura} command: results on stdout, diagnostics (progress, checks, build chatter) on
 * stderr. Start it through the {@code ./aura} launcher, which adds
 * {@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED}.
 */
@Command(name = "aura", mixinStandardHelpOptions = true, versionProvider = AuraCli.Version.class,
    description = "Adaptive mixture-of-experts routing with liquid gating: demo, benchmarks, streaming learning "
        + "and the routing service.",
    footer = {"", "Exit status: 0 done; 1 the command could not do what was asked (an input that cannot be read, an "
        + "unusable output path, a --check target missed, a server that cannot start); 2 invalid options; "
        + AuraCli.EXIT_ABORTED + " a malformed row under 'aura stream --on-error abort'.",
      "", "./aura flink (routing and on-line learning on Apache Flink, embedded or with flink run) is started by the "
        + "launcher from aura-flink's job jar, not from this command: ./aura flink --help, docs/flink.md."},
    subcommands = {DemoCommand.class, BenchCommand.class, RoutingBenchCommand.class, StreamCommand.class,
        GenerateCommand.class, DriftBenchCommand.class, LearnBenchCommand.class, TextBenchCommand.class, TextCommand.class, SeqCommand.class, SpikingCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class AuraCli implements Runnable {

  /** Exit status of invalid options (picocli's, as for most command-line tools). */
  public static final int EXIT_USAGE = 2;

  /** Exit status of {@code aura stream --on-error abort} at a malformed row: the data, not the command, was wrong. */
  public static final int EXIT_ABORTED = 3;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A command line with the CLI's settings (used by main and by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new AuraCli());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // A wrong option is its message and where to read more, not the whole help (70 lines above it).
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println(e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
      cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
      cmd.getErr().flush();
      return EXIT_USAGE;
    });
    // A user's mistake (a missing or unreadable file, a bad value) is one line on stderr and exit
    // status 1, not a stack trace; anything else is a fault and keeps picocli's full report.
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof IOException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
          || e instanceof java.io.UncheckedIOException) {
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + describe(e));
        cmd.getErr().flush();
        return 1;
      }
      throw e;
    });
    return cl;
  }

  private static String describe(Exception e) {
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return "no such file: " + n.getFile();
    }
    if (e instanceof java.nio.file.AccessDeniedException a) {
      return "access denied: " + a.getFile();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  /** Entry point. */
  public static void main(String[] args) {
    configureLogging();
    int rc = commandLine().execute(args);
    System.exit(rc);
  }

  /**
   * Quiets SLF4J unless {@code -Dslf4j.provider} chooses a binding, and sets up java.util.logging for
   * the process from {@code logging.properties} beside this class:
   * each record one line on stderr ({@code WARNING: message}), and Helidon only from WARNING up, so
   * that {@code aura serve}'s own start-up lines are not buried in the web server's. A
   * {@code -Djava.util.logging.config.file} or {@code .config.class} given to the JVM wins.
   */
  static void configureLogging() {
    // The tokenizer of aura stream's text columns logs through SLF4J, which has no binding here and would
    // warn of it on stderr in three lines: its no-operation provider, chosen quietly, says nothing.
    if (System.getProperty("slf4j.provider") == null) {
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
      if (System.getProperty("slf4j.internal.verbosity") == null) {
        System.setProperty("slf4j.internal.verbosity", "WARN");
      }
    }
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    try (InputStream in = AuraCli.class.getResourceAsStream("logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    } catch (IOException e) {
      // the JDK's default set-up stays: more lines, nothing lost
    }
  }

  /** The project version, from the filtered {@code version.properties}. */
  public static String version() {
    Properties p = new Properties();
    try (InputStream in = AuraCli.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // fall through to "unknown"
    }
    return p.getProperty("version", "unknown");
  }

  /** {@code aura --version}. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "aura-moe " + version(),
        "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
            + System.getProperty("java.vendor") + ")",
        "Vector API module: " + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            ? "present" : "absent (start with --add-modules jdk.incubator.vector)")
      };
    }
  }
}
