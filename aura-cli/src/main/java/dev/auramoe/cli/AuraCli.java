package dev.auramoe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
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

  @CommandLine.Option(names = "--log-level", scope = CommandLine.ScopeType.INHERIT, paramLabel = "LEVEL",
      defaultValue = "${env:AURA_LOG_LEVEL:-warn}",
      description = "What is logged on stderr: error, warn, info, debug or trace (default: ${DEFAULT-VALUE}; the "
          + "environment variable AURA_LOG_LEVEL sets it too). warn leaves out the INFO lines of the libraries "
          + "(the web server's start-up among them) and of the service.")
  Logging.Level logLevel;

  @CommandLine.Option(names = "--log-format", scope = CommandLine.ScopeType.INHERIT, paramLabel = "FORMAT",
      defaultValue = "${env:AURA_LOG_FORMAT:-text}",
      description = "text: one line per event, LEVEL: message; json: one JSON object per line (timestamp, level, "
          + "threadName, loggerName, formattedMessage, throwable). Default: ${DEFAULT-VALUE}; the environment "
          + "variable AURA_LOG_FORMAT sets it too.")
  Logging.Format logFormat;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A command line with the CLI's settings (used by main and by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new AuraCli());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // "--log-format text" names a format, not the text subcommand.
    cl.setAllowSubcommandsAsOptionParameters(true);
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

  /** Entry point: logging is set up from --log-level and --log-format before the command runs. */
  public static void main(String[] args) {
    CommandLine cl = commandLine();
    cl.setExecutionStrategy(parsed -> {
      Logging.configure(logOption(parsed, "--log-level", Logging.Level.class),
          logOption(parsed, "--log-format", Logging.Format.class));
      return new CommandLine.RunLast().execute(parsed);
    });
    int rc = cl.execute(args);
    System.exit(rc);
  }

  /**
   * A logging option's value: as given to the last command that was given it (the options are
   * inherited by every subcommand: {@code aura serve --log-level info}), else its default, which the
   * environment may set.
   */
  static <T> T logOption(CommandLine.ParseResult parsed, String name, Class<T> type) {
    T value = type.cast(parsed.commandSpec().findOption(name).getValue());
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption(name)) {
        value = type.cast(p.matchedOptionValue(name, value));
      }
    }
    return value;
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
