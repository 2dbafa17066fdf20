package dev.auramoe.cli.text;

import dev.auramoe.text.SentenceEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * The runs behind {@code aura text-bench}: quotes routed to one expert per category, prequentially.
 *
 * <p><b>Protocol.</b> The quotes come in a seeded random order ({@link Corpus#shuffled}), the same for
 * every contestant. Each quote is embedded and tokenised once ({@link #embed}), timed apart; then each
 * contestant in turn reads the quotes in that order and, for each, routes it to a category and
 * learns: from the category itself ({@link Contestant.Supervised}) or from the rewards of its choices
 * only ({@link Contestant.Bandit}). Each contestant's timed run follows an unreported run of a fresh
 * copy over the first {@value #WARM_UP} quotes, so that its time is not the JIT compiler's; the
 * encoder likewise embeds a few quotes before its timed pass.
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
  public static final int WARM_UP = 500;

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
   */
  public record Result(Entry entry, Score score, long routerNanos, long embeddingNanos) {

    /** Quotes per second end to end: embedding, tokenising, routing and learning. */
    public double textsPerSecond() {
      return score.count() / ((embeddingNanos + routerNanos) / 1e9);
    }

    /** The router's share of the end-to-end time. */
    public double routerShareOfTime() {
      return (double) routerNanos / (embeddingNanos + routerNanos);
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
   * Embeds and tokenises every quote once, timing it (after {@value #ENCODER_WARM_UP} untimed ones).
   *
   * @param progress told the number of quotes done since its last call
   * @throws IllegalArgumentException naming the quote and its category when the encoder refuses it
   */
  public static Embedded embed(Corpus corpus, SentenceEncoder encoder, LongConsumer progress) {
    int n = corpus.size();
    for (int i = 0; i < Math.min(n, ENCODER_WARM_UP); i++) {
      encoder.encode(corpus.texts().get(i));
    }
    float[][] x = new float[n][];
    int[][] tokens = new int[n][];
    long nanos = 0;
    for (int i = 0; i < n; i++) {
      String text = corpus.texts().get(i);
      try {
        long t0 = System.nanoTime();
        x[i] = encoder.encode(text);
        tokens[i] = encoder.tokenIds(text);
        nanos += System.nanoTime() - t0;
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a quote of " + corpus.categories().get(corpus.label(i)) + " ("
            + abbreviated(text) + "): " + e.getMessage(), e);
      }
      if ((i + 1) % PROGRESS_STEP == 0) {
        progress.accept(PROGRESS_STEP);
      }
    }
    progress.accept(n % PROGRESS_STEP);
    return new Embedded(corpus.categories(), x, tokens, corpus.labels(), encoder.vocabularySize(), nanos);
  }

  /**
   * Runs one contestant over every quote (after its warm-up run), timing its steps.
   *
   * @param progress told the number of quotes done since its last call (the warm-up's are not counted)
   */
  public static Result run(Entry entry, Embedded in, LongConsumer progress) {
    int warmUp = Math.min(WARM_UP, in.size());
    prequential(entry.make().apply(in), in, warmUp, i -> { }, new Score(in.classes(), warmUp));
    Score score = new Score(in.classes(), in.size());
    long nanos = prequential(entry.make().apply(in), in, in.size(), progress, score);
    return new Result(entry, score, nanos, in.nanos());
  }

  /** The prequential loop over the first {@code n} quotes: route, then learn; the router's nanoseconds. */
  private static long prequential(Contestant c, Embedded in, int n, LongConsumer progress, Score score) {
    int[] labels = in.labels();
    LabelReward reward = new LabelReward();
    long nanos = 0;
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      long t0 = System.nanoTime();
      int routed = switch (c) {
        case Contestant.Supervised s -> s.routeThenLearn(i, label);
        case Contestant.Bandit b -> {
          reward.label = label;
          yield b.routeThenFeedback(i, reward);
        }
      };
      nanos += System.nanoTime() - t0;
      score.add(label, routed);
      if ((i + 1) % PROGRESS_STEP == 0) {
        progress.accept(PROGRESS_STEP);
      }
    }
    progress.accept(n % PROGRESS_STEP);
    return nanos;
  }

  /** The reward of the current quote: 1 for its category, 0 for any other; one per run, reused. */
  private static final class LabelReward implements Contestant.Reward {

    int label;

    @Override
    public double of(int category) {
      return category == label ? 1 : 0;
    }
  }

  /** The baselines: the supervised reference, nearest centroid, the keyword router and random. */
  public static List<Entry> baselines(long seed, double logisticRate) {
    List<Entry> l = new ArrayList<>();
    l.add(new Entry("logistic", "labels", "on-line multinomial logistic regression on the embeddings, SGD, rate "
        + logisticRate, in -> new OnlineLogistic(in, logisticRate)));
    l.add(new Entry("nearest-centroid", "labels", "running mean embedding per category, cosine",
        NearestCentroid::new));
    l.add(new Entry("tf-idf", "labels", "TF-IDF over token ids, on-line document frequencies, cosine to each "
        + "category's term vector", TfIdfRouter::new));
    l.add(new Entry("random", "nothing", "a category drawn uniformly at random, seed " + seed,
        in -> new RandomRouter(in.classes(), seed)));
    return l;
  }

  /** The start of a text on one line, for messages. */
  static String abbreviated(String text) {
    String one = text.replaceAll("\\s+", " ");
    return "\"" + (one.length() <= 40 ? one : one.substring(0, 40) + "...") + "\"";
  }
}
