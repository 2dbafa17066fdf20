package dev.auramoe.cli.text;

import dev.auramoe.Defaults;
import dev.auramoe.text.EncodedText;
import dev.auramoe.text.SentenceEncoder;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The runs behind {@code aura text-bench}: quotes routed to one expert per category, prequentially.
 *
 * <p><b>Protocol.</b> The quotes come in a seeded random order ({@link Corpus#shuffled}), the same for
 * every contestant. Each quote is embedded and tokenised once ({@link #embed}), timed apart; then each
 * contestant in turn reads the quotes in that order and, for each, routes it to a category and
 * learns: from the category itself ({@link Contestant.Supervised}) or from the rewards of its choices
 * only ({@link Contestant.Bandit}). Before any contestant is timed, every one of them makes an
 * unreported run of a fresh copy over the first {@value #WARM_UP} quotes ({@link #warmUp}), so that
 * no timed run pays for the JIT compiler's work, whichever comes first (the code the contestants
 * share, the core's kernels, is compiled by then); the encoder likewise embeds a few quotes before
 * its timed pass.
 *
 * <p><b>Time.</b> A contestant's router time is the wall-clock time of its routing and learning
 * ({@link System#nanoTime} around each quote's step). End to end, a quote costs its embedding and
 * tokenising plus the router's time, so a contestant's texts per second are
 * {@code quotes / (embedding + router time)} and its share of the time is
 * {@code router time / (embedding + router time)}, both measured in the same run. Pure computation:
 * prints nothing.
 */
public final class TextBench {

  /** Quotes of the unreported warm-up run of each contestant (fewer when the run has fewer). */
  public static final int WARM_UP = 2_000;

  /** Quotes the encoder embeds before its timed pass (its first calls set up the ONNX session). */
  public static final int ENCODER_WARM_UP = 20;

  /** The last quotes of the run over which {@code accuracyLast2000} is taken. */
  public static final int LAST = 2_000;

  /** Quotes in the moving window of the learning curves. */
  public static final int CURVE_WINDOW = 500;

  /** Quotes between two calls of a run's progress callback. */
  static final int PROGRESS_STEP = 100;

  private TextBench() {}

  /**
   * A contestant of the run.
   *
   * @param name its name in reports
   * @param learnsFrom "labels", "feedback" or "nothing"
   * @param description what it is, one line
   * @param make a fresh one for the run's inputs
   */
  public record Entry(String name, String learnsFrom, String description, Function<Embedded, Contestant> make) {}

  /**
   * One contestant's run.
   *
   * @param entry the contestant
   * @param score what it got right
   * @param routerNanos wall-clock nanoseconds of its routing and learning, over the whole run
   * @param embeddingNanos those of embedding and tokenising the quotes, shared by every contestant
   * @param routerCpuNanos the CPU time of the thread that routed and learnt (-1 when the JVM cannot tell)
   * @param embeddingCpuNanos likewise for the embedding and tokenising
   */
  public record Result(Entry entry, Score score, long routerNanos, long embeddingNanos, long routerCpuNanos,
      long embeddingCpuNanos) {

    /** A result whose CPU time is not known. */
    public Result(Entry entry, Score score, long routerNanos, long embeddingNanos) {
      this(entry, score, routerNanos, embeddingNanos, -1, -1);
    }

    /** Quotes per second end to end: embedding, tokenising, routing and learning. */
    public double textsPerSecond() {
      return score.count() / ((embeddingNanos + routerNanos) / 1e9);
    }

    /** The router's share of the end-to-end time. */
    public double routerShareOfTime() {
      return (double) routerNanos / (embeddingNanos + routerNanos);
    }

    /**
     * The router's share of the end-to-end CPU time of the thread that did the work, NaN when it is
     * not known: unlike the wall-clock share, not inflated by other work that takes the CPU away
     * (but blind to work on other threads, such as garbage collection).
     */
    public double routerShareOfCpuTime() {
      return routerCpuNanos < 0 || embeddingCpuNanos < 0 ? Double.NaN
          : (double) routerCpuNanos / (embeddingCpuNanos + routerCpuNanos);
    }

    /** Router microseconds per quote (routing and learning). */
    public double routerMicrosPerText() {
      return routerNanos / 1e3 / score.count();
    }

    /** Whether it never sees the categories (it learns from feedback, or nothing): its regret is reported. */
    public boolean bandit() {
      return !entry.learnsFrom().equals("labels");
    }

    /** The result as a JSON object. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("learnsFrom", entry.learnsFrom());
      m.put("description", entry.description());
      m.put("accuracy", score.accuracy());
      m.put("accuracyLast2000", score.accuracyLast(LAST));
      m.put("macroF1", score.macroF1());
      m.put("regret", bandit() ? score.regret() : null);
      m.put("textsPerSecond", textsPerSecond());
      m.put("routerShareOfTime", routerShareOfTime());
      m.put("routerMicrosPerText", routerMicrosPerText());
      m.put("routerShareOfCpuTime", Double.isNaN(routerShareOfCpuTime()) ? null : routerShareOfCpuTime());
      double[][] curve = score.curve(CURVE_WINDOW, 100);
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("window", Math.min(CURVE_WINDOW, score.count()));
      c.put("quotes", curve[0]);
      c.put("accuracy", curve[1]);
      m.put("learningCurve", c);
      m.put("confusion", score.confusion());
      return m;
    }
  }

  /**
   * Embeds and tokenises every quote once ({@link SentenceEncoder#encodeText}, what a router's
   * {@code route(String)} calls), timing it (after {@value #ENCODER_WARM_UP} untimed ones).
   *
   * @param progress told the number of quotes done since its last call
   * @throws IllegalArgumentException naming the quote and its category when the encoder refuses it
   */
  public static Embedded embed(Corpus corpus, SentenceEncoder encoder, LongConsumer progress) {
    int n = corpus.size();
    for (int i = 0; i < Math.min(n, ENCODER_WARM_UP); i++) {
      encoder.encodeText(corpus.texts().get(i));
    }
    List<EncodedText> texts = new ArrayList<>(n);
    long nanos = 0;
    long cpu = 0;
    for (int i = 0; i < n; i++) {
      String text = corpus.texts().get(i);
      try {
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        EncodedText e = encoder.encodeText(text);
        nanos += System.nanoTime() - t0;
        cpu += cpuNanos() - c0;
        texts.add(e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a quote of " + corpus.categories().get(corpus.label(i)) + " ("
            + abbreviated(text) + "): " + e.getMessage(), e);
      }
      if ((i + 1) % PROGRESS_STEP == 0) {
        progress.accept(PROGRESS_STEP);
      }
    }
    progress.accept(n % PROGRESS_STEP);
    return new Embedded(corpus.categories(), texts, corpus.labels(), encoder.vocabularySize(), nanos,
        CPU_TIME ? cpu : -1);
  }

  /**
   * Runs one contestant over every quote (after its warm-up run), timing its steps.
   *
   * @param progress told the number of quotes done since its last call (the warm-up's are not counted)
   */
  public static Result run(Entry entry, Embedded in, LongConsumer progress) {
    return run(entry, in, progress, c -> { });
  }

  /**
   * As {@link #run(Entry, Embedded, LongConsumer)}, handing the scored contestant to {@code after}
   * once it has seen every quote (to save a router it trained, say), before it is closed.
   */
  public static Result run(Entry entry, Embedded in, LongConsumer progress, Consumer<Contestant> after) {
    warmUp(entry, in);
    return score(entry, in, progress, after);
  }

  /** The unreported run of a fresh copy of a contestant over the first {@value #WARM_UP} quotes. */
  public static void warmUp(Entry entry, Embedded in) {
    int warmUp = Math.min(WARM_UP, in.size());
    try (Contestant c = entry.make().apply(in)) {
      prequential(c, in, warmUp, i -> { }, new Score(in.classes(), warmUp));
    }
  }

  /**
   * The timed run of a fresh copy of a contestant over every quote, after {@link #warmUp} (of this one
   * or of all); {@code after} gets the contestant once it has seen every quote, before it is closed.
   */
  public static Result score(Entry entry, Embedded in, LongConsumer progress, Consumer<Contestant> after) {
    Score score = new Score(in.classes(), in.size());
    long[] nanos;
    try (Contestant c = entry.make().apply(in)) {
      nanos = prequential(c, in, in.size(), progress, score);
      after.accept(c);
    }
    return new Result(entry, score, nanos[0], in.nanos(), CPU_TIME ? nanos[1] : -1, in.cpuNanos());
  }

  /**
   * The prequential loop over the first {@code n} quotes: route, then learn; the router's wall-clock
   * and CPU nanoseconds.
   */
  private static long[] prequential(Contestant c, Embedded in, int n, LongConsumer progress, Score score) {
    int[] labels = in.labels();
    LabelReward reward = new LabelReward();
    long nanos = 0;
    long cpu = 0;
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      long c0 = cpuNanos();
      long t0 = System.nanoTime();
      int routed = switch (c) {
        case Contestant.Supervised s -> s.routeThenLearn(i, label);
        case Contestant.Bandit b -> {
          reward.next(i, label);
          int choice = b.routeThenFeedback(i, reward);
          reward.checkChoice(choice);
          yield choice;
        }
      };
      nanos += System.nanoTime() - t0;
      cpu += cpuNanos() - c0;
      score.add(label, routed);
      if ((i + 1) % PROGRESS_STEP == 0) {
        progress.accept(PROGRESS_STEP);
      }
    }
    progress.accept(n % PROGRESS_STEP);
    return new long[] {nanos, cpu};
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Whether this JVM measures the CPU time of the current thread. */
  private static final boolean CPU_TIME = cpuTimeOn();

  private static boolean cpuTimeOn() {
    try {
      if (THREADS.isCurrentThreadCpuTimeSupported() && !THREADS.isThreadCpuTimeEnabled()) {
        THREADS.setThreadCpuTimeEnabled(true);
      }
      return THREADS.isCurrentThreadCpuTimeSupported() && THREADS.getCurrentThreadCpuTime() >= 0;
    } catch (UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** The current thread's CPU time, 0 where it is not measured. */
  private static long cpuNanos() {
    return CPU_TIME ? THREADS.getCurrentThreadCpuTime() : 0;
  }

  /**
   * The most categories a feedback contestant may ask the reward of per quote: the experts a route
   * chooses with the router's defaults ({@link Defaults#TOP_K}), as a service hears back only from the
   * experts it called.
   */
  public static final int MAX_ASKS = Defaults.TOP_K;

  /**
   * The reward of the current quote: 1 for its category, 0 for any other; one per run, reused. It holds
   * a feedback contestant to the protocol: the rewards of at most {@link #MAX_ASKS} categories per quote,
   * and, when it asked any, the category it routes to among them (it asked what it chose), so that no
   * contestant can read the label by asking every category or by elimination.
   */
  private static final class LabelReward implements Contestant.Reward {

    private int quote;
    private int label;
    private final int[] asked = new int[MAX_ASKS];
    private int asks;

    void next(int i, int category) {
      quote = i;
      label = category;
      asks = 0;
    }

    @Override
    public double of(int category) {
      boolean again = false;
      for (int a = 0; a < asks; a++) {
        again |= asked[a] == category;
      }
      if (!again) {
        if (asks == MAX_ASKS) {
          throw new IllegalStateException("a feedback contestant asked the reward of more than " + MAX_ASKS
              + " categories of quote " + quote + ": it may ask only those it chose");
        }
        asked[asks++] = category;
      }
      return category == label ? 1 : 0;
    }

    /** A contestant that asked nothing (one that never learns) may route anywhere; else to what it asked. */
    void checkChoice(int choice) {
      if (asks == 0) {
        return;
      }
      for (int a = 0; a < asks; a++) {
        if (asked[a] == choice) {
          return;
        }
      }
      throw new IllegalStateException("a feedback contestant routed quote " + quote + " to category " + choice
          + " without asking its reward: it learns only from what it chose");
    }
  }

  /** The contestant learning from labels with the spiking attention on (the router's default). */
  public static final String LIQUID_LABELS = "liquid-labels";

  /** The contestant learning from feedback with the spiking attention on (the router's default). */
  public static final String LIQUID_FEEDBACK = "liquid-feedback";

  /** The suffix of the same contestants with the spiking attention off. */
  public static final String NO_ATTENTION = "-no-attention";

  /** The supervised reference. */
  public static final String LOGISTIC = "logistic";

  /** The same regression with AdaGrad's steps, shown beside the reference. */
  public static final String LOGISTIC_ADAGRAD = "logistic-adagrad";

  /**
   * The liquid router ({@link LiquidRouter}) with its defaults: learning from labels and from feedback,
   * each with the spiking attention on (its default) and off.
   */
  public static List<Entry> liquid(long seed) {
    List<Entry> l = new ArrayList<>();
    for (boolean attention : new boolean[] {true, false}) {
      String suffix = attention ? "" : NO_ATTENTION;
      String att = attention ? "spiking attention on (default)" : "spiking attention off";
      l.add(new Entry(LIQUID_LABELS + suffix, "labels", "TextRouter, defaults, " + att + ", seed " + seed
          + "; learn(text, category)", in -> new LiquidRouter.Labels(in, attention, seed)));
      l.add(new Entry(LIQUID_FEEDBACK + suffix, "feedback", "TextRouter, defaults, " + att + ", seed " + seed
          + "; route, then feedback 1 for a chosen expert that is the category, 0 for the others",
          in -> new LiquidRouter.Feedback(in, attention, seed)));
    }
    return l;
  }

  /** The baselines: the supervised reference, nearest centroid, the keyword router and random. */
  public static List<Entry> baselines(long seed, double logisticRate) {
    List<Entry> l = new ArrayList<>();
    l.add(new Entry(LOGISTIC, "labels", "on-line multinomial logistic regression on the embeddings, SGD, rate "
        + logisticRate, in -> new OnlineLogistic(in, logisticRate)));
    l.add(new Entry(LOGISTIC_ADAGRAD, "labels", "the same regression with AdaGrad's per-coordinate steps, rate "
        + OnlineLogistic.ADAGRAD_RATE + " (steps that shrink: for a stream that does not change)",
        in -> OnlineLogistic.adaGrad(in, OnlineLogistic.ADAGRAD_RATE)));
    l.add(new Entry("nearest-centroid", "labels", "running mean embedding per category, cosine",
        NearestCentroid::new));
    l.add(new Entry("tf-idf", "labels", "TF-IDF over token ids, on-line document frequencies, cosine to each "
        + "category's term vector", TfIdfRouter::new));
    l.add(new Entry("random", "nothing", "a category drawn uniformly at random, seed " + seed,
        in -> new RandomRouter(in.classes(), seed)));
    return l;
  }

  /** The accuracy of the liquid router from labels may trail the reference's by this much (2 points). */
  public static final double TARGET_POINTS_BEHIND_LOGISTIC = 0.02;

  /** The least share of the reference's last-2,000 accuracy the liquid router reaches from feedback. */
  public static final double TARGET_FEEDBACK_SHARE_OF_LOGISTIC = 0.85;

  /** The largest share of the end-to-end time the liquid router may take. */
  public static final double TARGET_ROUTER_SHARE = 0.02;

  /**
   * The acceptance targets (issue 13, set on the 10 largest fortunes categories), each a line starting
   * with PASS or FAIL, by key; a target whose contestants are not in the run is left out.
   *
   * <ul>
   *   <li>{@code labelsWithin2PointsOfLogistic}: {@value #LIQUID_LABELS}'s accuracy is at least the
   *       reference's minus {@value #TARGET_POINTS_BEHIND_LOGISTIC};
   *   <li>{@code feedbackAtLeast85PercentOfLogistic}: {@value #LIQUID_FEEDBACK}'s accuracy over the
   *       last {@value #LAST} quotes is at least {@value #TARGET_FEEDBACK_SHARE_OF_LOGISTIC} of the
   *       reference's over the same quotes;
   *   <li>{@code routerShareUnder2Percent}: the liquid router with its defaults, from labels and from
   *       feedback, takes less than {@value #TARGET_ROUTER_SHARE} of its end-to-end time (wall-clock);
   *       the rows with the attention off are a non-default setting, reported beside it.
   * </ul>
   */
  public static Map<String, String> checks(List<Result> results) {
    Map<String, String> m = new LinkedHashMap<>();
    Result labels = find(results, LIQUID_LABELS);
    Result feedback = find(results, LIQUID_FEEDBACK);
    Result logistic = find(results, LOGISTIC);
    if (labels != null && logistic != null) {
      double a = labels.score().accuracy();
      double ref = logistic.score().accuracy();
      m.put("labelsWithin2PointsOfLogistic", String.format(Locale.ROOT,
          "%s %s accuracy >= %s accuracy - %.0f points: %.4f vs %.4f (%+.1f points)",
          passOrFail(a >= ref - TARGET_POINTS_BEHIND_LOGISTIC), LIQUID_LABELS, LOGISTIC,
          100 * TARGET_POINTS_BEHIND_LOGISTIC, a, ref, 100 * (a - ref)));
    }
    if (feedback != null && logistic != null) {
      double a = feedback.score().accuracyLast(LAST);
      double ref = logistic.score().accuracyLast(LAST);
      m.put("feedbackAtLeast85PercentOfLogistic", String.format(Locale.ROOT,
          "%s %s accuracy over the last %,d quotes >= %.0f%% of %s's: %.4f vs %.4f (%.1f%%)",
          passOrFail(a >= TARGET_FEEDBACK_SHARE_OF_LOGISTIC * ref), LIQUID_FEEDBACK,
          Math.min(LAST, feedback.score().count()), 100 * TARGET_FEEDBACK_SHARE_OF_LOGISTIC, LOGISTIC, a, ref,
          100 * a / ref));
    }
    Result worst = null;
    for (Result r : new Result[] {labels, feedback}) {
      if (r != null && (worst == null || r.routerShareOfTime() > worst.routerShareOfTime())) {
        worst = r;
      }
    }
    if (worst != null) {
      m.put("routerShareUnder2Percent", String.format(Locale.ROOT,
          "%s the liquid router's share of the end-to-end time < %.0f%% (defaults, from labels and from feedback): "
              + "at most %.2f%% (%s, %.1f us of %.1f us per quote)", passOrFail(worst.routerShareOfTime() < TARGET_ROUTER_SHARE), 100 * TARGET_ROUTER_SHARE,
          100 * worst.routerShareOfTime(), worst.entry().name(), worst.routerMicrosPerText(),
          worst.routerMicrosPerText() + worst.embeddingNanos() / 1e3 / worst.score().count()));
    }
    return m;
  }

  /**
   * What the spiking attention does to the liquid router: for labels and for feedback, the accuracy
   * (overall and over the last {@value #LAST} quotes) and router microseconds per quote with it on
   * and off; empty when the run lacks those contestants.
   */
  public static Map<String, Object> attentionEffect(List<Result> results) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String name : List.of(LIQUID_LABELS, LIQUID_FEEDBACK)) {
      Result on = find(results, name);
      Result off = find(results, name + NO_ATTENTION);
      if (on == null || off == null) {
        continue;
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("accuracyOn", on.score().accuracy());
      e.put("accuracyOff", off.score().accuracy());
      e.put("pointsGained", 100 * (on.score().accuracy() - off.score().accuracy()));
      e.put("accuracyLast2000On", on.score().accuracyLast(LAST));
      e.put("accuracyLast2000Off", off.score().accuracyLast(LAST));
      e.put("routerMicrosPerTextOn", on.routerMicrosPerText());
      e.put("routerMicrosPerTextOff", off.routerMicrosPerText());
      m.put(on.entry().learnsFrom(), e);
    }
    return m;
  }

  private static String passOrFail(boolean ok) {
    return ok ? "PASS" : "FAIL";
  }

  /** The result of the contestant named {@code name}, or null. */
  static Result find(List<Result> results, String name) {
    for (Result r : results) {
      if (r.entry().name().equals(name)) {
        return r;
      }
    }
    return null;
  }

  /** The start of a text on one line, for messages. */
  static String abbreviated(String text) {
    String one = text.replaceAll("\\s+", " ");
    return "\"" + (one.length() <= 40 ? one : one.substring(0, 40) + "...") + "\"";
  }
}
