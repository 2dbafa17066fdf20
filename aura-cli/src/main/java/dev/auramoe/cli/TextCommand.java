package dev.auramoe.cli;

import dev.auramoe.text.EncodedText;
import dev.auramoe.text.SentenceEncoder;
import dev.auramoe.text.TextRouter;
import dev.auramoe.text.Texts;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aura text}: text routing from the command line. */
@Command(name = "text", mixinStandardHelpOptions = true, subcommands = {TextCommand.Route.class},
    description = "Text routing from the command line: 'aura text route TEXT' for a quick look at how a text router "
        + "reads and routes a text.")
public final class TextCommand implements Runnable {

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: route");
  }

  /** {@code aura text route}: one text through a text router, with what the router read and why it chose. */
  @Command(name = "route", mixinStandardHelpOptions = true,
      description = {"Embeds a text with all-MiniLM-L6-v2, routes it with a text router, and says what it read "
          + "(tokens, what the encoder sees), where it went (chosen experts, weights, probabilities) and why "
          + "(the spiking attention's winning tokens and their gain). Nothing is learned or saved.",
          "A router saved by TextRouter.save or 'aura text-bench --save-router FILE' (--router), or an untrained "
              + "one over named experts (--experts), whose choices come from its seeded initial weights."})
  static final class Route implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "The text (several words are joined with "
        + "spaces); '-' reads it from standard input, which must be UTF-8.")
    private List<String> words;

    @Option(names = "--router", paramLabel = "FILE", description = "A text router file (TextRouter.save, "
        + "aura text-bench --save-router).")
    private Path router;

    @Option(names = "--experts", paramLabel = "NAMES", split = ",", description = "Route with an untrained "
        + "router over these experts (at least two, comma-separated) instead.")
    private List<String> experts;

    @Mixin
    private JsonOption json = new JsonOption();

    /** Standard input, for '-'; tests give their own. */
    InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
      if ((router == null) == (experts == null)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "give exactly one of --router FILE (a saved text router) and --experts a,b,...");
      }
      json.checkPath();
      String text = words.size() == 1 && words.getFirst().equals("-") ? Texts.decodeUtf8(stdin.readAllBytes())
          : String.join(" ", words);
      Texts.check(text);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (SentenceEncoder encoder = SentenceEncoder.allMiniLmL6V2();
          TextRouter r = router != null ? TextRouter.load(router, encoder)
              : TextRouter.builder(encoder).experts(experts.toArray(String[]::new)).build()) {
        EncodedText encoded = encoder.encodeText(text);
        TextRouter.Route route = r.route(encoded);
        int tokens = encoded.tokens().length;
        int seen = Math.min(tokens, encoder.encoderTokenLimit() - 2);
        print(out, text, tokens, seen, r, route);
        if (router == null) {
          err.println("note: an untrained router: its choices come from its seeded initial weights; train one with "
              + "TextRouter (labels or feedback) and save it, or with aura text-bench --save-router FILE");
        }
        out.flush();
        json.write(toJson(text, tokens, seen, r, route), err);
      }
      return 0;
    }

    private static void print(PrintWriter out, String text, int tokens, int seen, TextRouter r, TextRouter.Route route) {
      out.printf(Locale.ROOT, "text          %,d chars, %,d tokens (the encoder reads %s)%n", text.length(), tokens,
          seen == tokens ? "all of them" : "the first " + seen);
      out.printf(Locale.ROOT, "route         %s: %d of %d experts%n", route.id(), route.chosen().size(),
          r.experts().size());
      for (TextRouter.Choice c : route.chosen()) {
        var d = r.experts().get(c.index());
        out.printf(Locale.ROOT, "  %-22s weight %.3f   probability %.3f   cost %s, %s ms, %s J%n", c.expert(),
            c.weight(), c.probability(), num(d.costPerCall()), num(d.latencyMillis()), num(d.energyJoules()));
      }
      float[] p = route.probabilities();
      List<Integer> order = new ArrayList<>();
      for (int e = 0; e < p.length; e++) {
        order.add(e);
      }
      order.sort((a, b) -> Float.compare(p[b], p[a]));
      StringBuilder all = new StringBuilder();
      for (int e : order) {
        all.append(all.isEmpty() ? "" : ", ").append(r.experts().get(e).name())
            .append(String.format(Locale.ROOT, " %.3f", p[e]));
      }
      out.println("probabilities " + all);
      TextRouter.Explanation why = route.why();
      if (!r.attention()) {
        out.println("why           the spiking attention is off");
      } else {
        StringBuilder w = new StringBuilder();
        for (TextRouter.WinningToken t : why.winners()) {
          w.append(w.isEmpty() ? "" : ", ").append('\'').append(t.token()).append('\'')
              .append(String.format(Locale.ROOT, " (%s)", num(t.potential())));
        }
        out.printf(Locale.ROOT, "why           winning tokens %s; gain %.3f (temperature %.3f)%n",
            w.isEmpty() ? "none" : w, why.gain(), why.temperature());
      }
      if (why.costWeight() > 0) {
        out.printf(Locale.ROOT, "cost          weight %s; this route costs %s per call, %s ms, %s J%n",
            num(why.costWeight()), num(route.costPerCall()), num(route.latencyMillis()), num(route.energyJoules()));
      }
    }

    private static Map<String, Object> toJson(String text, int tokens, int seen, TextRouter r, TextRouter.Route route) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("chars", text.length());
      m.put("tokens", tokens);
      m.put("tokensEncoded", seen);
      m.put("routeId", route.id());
      List<Map<String, Object>> chosen = new ArrayList<>();
      for (TextRouter.Choice c : route.chosen()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("expert", c.expert());
        e.put("weight", c.weight());
        e.put("probability", c.probability());
        chosen.add(e);
      }
      m.put("chosen", chosen);
      Map<String, Object> probabilities = new LinkedHashMap<>();
      float[] p = route.probabilities();
      for (int e = 0; e < p.length; e++) {
        probabilities.put(r.experts().get(e).name(), (double) p[e]);
      }
      m.put("probabilities", probabilities);
      List<Map<String, Object>> winners = new ArrayList<>();
      for (TextRouter.WinningToken t : route.why().winners()) {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("token", t.token());
        w.put("id", t.id());
        w.put("potential", t.potential());
        winners.add(w);
      }
      m.put("attention", r.attention());
      m.put("winningTokens", winners);
      m.put("gain", route.why().gain());
      m.put("temperature", route.why().temperature());
      m.put("costWeight", route.why().costWeight());
      m.put("costPerCall", route.costPerCall());
      m.put("latencyMillis", route.latencyMillis());
      m.put("energyJoules", route.energyJoules());
      return m;
    }

    private static String num(double v) {
      return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.4g", v);
    }
  }
}
