package dev.auramoe.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --check} of the commands that measure against targets, a picocli mixin: the targets are
 * always reported; with the option, a missed one makes the exit status 1.
 */
public final class CheckOption {

  @Option(names = "--check", description = "Exit with status 1 when an acceptance target is missed.")
  boolean enabled;

  /** The exit status of a run whose targets were all met ({@code met}) or not. */
  int exitStatus(boolean met) {
    return enabled && !met ? 1 : 0;
  }

  /**
   * Prints the checks, one line each starting with {@code PASS} or {@code FAIL}, to {@code err};
   * whether all passed.
   */
  static boolean print(List<String> checks, PrintWriter err) {
    boolean ok = true;
    for (String c : checks) {
      err.println(c);
      ok &= c.startsWith("PASS");
    }
    return ok;
  }
}
