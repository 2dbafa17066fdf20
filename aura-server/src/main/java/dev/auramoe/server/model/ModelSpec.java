package dev.auramoe.server.model;

import dev.auramoe.Defaults;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.MoeConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.server.ServerLimits;
import java.util.regex.Pattern;

/**
 * What a client asks for when it creates a model: a mixture of {@code experts} NLMS experts from
 * {@code inputDim} to {@code outputDim} values behind a liquid gating cell, with routing
 * diagnostics on. The defaults are the library's ({@link Defaults}), so that a model created with
 * none learns a stream as {@code aura stream} and the library's stream learner do; the settings a
 * request cannot give (credit, recent errors, balancing) are the library's too.
 *
 * @param name the model's name: 1 to 64 characters of {@code A-Z a-z 0-9 . _ -}, starting with a
 *     letter or digit
 * @param inputDim input values per sample, &gt;= 1 (required)
 * @param outputDim output values per sample, &gt;= 1 (default 1)
 * @param experts number of NLMS experts, 1 to 1024 (default 8)
 * @param topK experts per input, 1 to {@code experts} (default 2; 1 disables router learning)
 * @param hidden the gating cell's state size, 1 to 4096 (default 8)
 * @param seed seed of the random initialisation (default 42)
 * @param mu the NLMS step of every expert in (0, 2) (default 0.5: near 0 learns slowly and smooths
 *     noise, near 2 tracks fast and is noisy)
 * @param routerLearningRate the router's learning rate in [0, 2) (default 1; 0 freezes the router)
 * @param temperature the base softmax temperature, finite and &gt; 0 (default 1)
 * @param diagnosticsWindow tokens per routing-diagnostics load window, 1 to 1,000,000 (default 1024)
 * @param diagnosticsDecay per-token decay of the diagnostics' moving-average load in [0, 1)
 *     (default 0.99: about the last 100 tokens; 0 keeps only the last token)
 * @param feedback the feedback settings the model starts with (default {@link FeedbackSettings#DEFAULT}:
 *     off); later ones are part of its {@link ModelSettings}. Null (a spec written before they existed)
 *     means the default
 */
public record ModelSpec(String name, int inputDim, int outputDim, int experts, int topK, int hidden, long seed,
    double mu, double routerLearningRate, double temperature, int diagnosticsWindow, double diagnosticsDecay,
    FeedbackSettings feedback) {

  /** Default output size. */
  public static final int DEFAULT_OUTPUT_DIM = 1;
  /** Most experts a model may have, at creation and after adding experts. */
  public static final int MAX_EXPERTS = 1024;
  /** Default number of experts. */
  public static final int DEFAULT_EXPERTS = Defaults.EXPERTS;
  /** Default experts per input. */
  public static final int DEFAULT_TOP_K = Defaults.TOP_K;
  /** Default cell state size. */
  public static final int DEFAULT_HIDDEN = Defaults.HIDDEN;
  /** Default seed. */
  public static final long DEFAULT_SEED = Defaults.SEED;
  /** Default NLMS step. */
  public static final double DEFAULT_MU = Defaults.MU;
  /** Default router learning rate. */
  public static final double DEFAULT_ROUTER_LEARNING_RATE = Defaults.ROUTER_LEARNING_RATE;
  /** Default temperature. */
  public static final double DEFAULT_TEMPERATURE = Defaults.TEMPERATURE;
  /** Default diagnostics window. */
  public static final int DEFAULT_DIAGNOSTICS_WINDOW = 1024;
  /** Default diagnostics decay. */
  public static final double DEFAULT_DIAGNOSTICS_DECAY = 0.99;
  /** Parameters a stream counts beyond its cell state (see {@link #streamParameters()}). */
  public static final int STREAM_OVERHEAD = 64;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** A null {@code feedback} is the default. */
  public ModelSpec {
    feedback = feedback == null ? FeedbackSettings.DEFAULT : feedback;
  }

  /** A spec with the default feedback settings (off). */
  public ModelSpec(String name, int inputDim, int outputDim, int experts, int topK, int hidden, long seed, double mu,
      double routerLearningRate, double temperature, int diagnosticsWindow, double diagnosticsDecay) {
    this(name, inputDim, outputDim, experts, topK, hidden, seed, mu, routerLearningRate, temperature,
        diagnosticsWindow, diagnosticsDecay, FeedbackSettings.DEFAULT);
  }

  /**
   * Checks every field against its range and the model's size against the limits.
   *
   * @throws Refusal INVALID naming the first field that is out of range
   */
  public void validate(ServerLimits limits) {
    checkFields();
    checkSize(parameters(), limits);
  }

  /**
   * Checks every field against its range, but not the model's size.
   *
   * @throws Refusal INVALID naming the first field that is out of range
   */
  void checkFields() {
    checkName(name);
    range("inputDim", inputDim, 1, 1 << 20);
    range("outputDim", outputDim, 1, 1 << 16);
    range("experts", experts, 1, MAX_EXPERTS);
    range("topK", topK, 1, experts);
    range("hidden", hidden, 1, 4096);
    if (!(mu > 0 && mu < 2)) {
      throw Refusal.invalid("mu must lie in (0, 2), got " + mu);
    }
    try {
      // The core's ranges, with its messages.
      MoeConfig.checkRouterLearningRate(routerLearningRate);
      MoeConfig.checkTemperature(temperature);
    } catch (IllegalArgumentException e) {
      throw Refusal.invalid(e.getMessage());
    }
    range("diagnosticsWindow", diagnosticsWindow, 1, 1_000_000);
    if (!(diagnosticsDecay >= 0 && diagnosticsDecay < 1)) {
      throw Refusal.invalid("diagnosticsDecay must lie in [0, 1), got " + diagnosticsDecay);
    }
    feedback.validate();
  }

  /**
   * Checks that a model of {@code params} parameters, with the routes it may keep for feedback,
   * fits the per-model limit.
   *
   * @throws Refusal INVALID when it does not
   */
  void checkSize(long params, ServerLimits limits) {
    if (params > limits.maxParameters()) {
      throw Refusal.invalid("the model would have about " + params + " parameters, more than the limit of "
          + limits.maxParameters());
    }
    long routes = routeMemory();
    if (params + routes > limits.maxParameters()) {
      throw Refusal.invalid("the model would have about " + params + " parameters and its routes waiting for feedback"
          + " may take " + routes + " more, over the limit of " + limits.maxParameters() + "; remember fewer routes"
          + " (feedbackRememberedRoutes)");
    }
  }

  /**
   * The float parameters the model will hold once built ({@link MixtureOfExperts#parameterCount()}),
   * computed from the shape alone, so that a model too large to build is refused before anything is
   * allocated: the gating cell and router ({@link MoeConfig#routerParameterCount(int, int, int, boolean)})
   * and the NLMS experts ({@link NlmsExpert#parameterCount(int, int)}).
   */
  public long parameters() {
    return MoeConfig.routerParameterCount(inputDim, hidden, experts, true)
        + experts * NlmsExpert.parameterCount(inputDim, outputDim);
  }

  /** What the routes waiting for feedback may take at creation, in parameters: see {@link FeedbackSettings#routeMemory}. */
  public long routeMemory() {
    return feedback.routeMemory(hidden, inputDim, experts, topK);
  }

  /**
   * What one open stream counts against the memory limits, in parameters: its cell state of
   * {@code hidden} floats, its experts' recent errors (one float per expert at creation; an expert
   * added later adds one per stream that this count does not follow), and {@value #STREAM_OVERHEAD}
   * for its id, its entry in the model's stream table and its bookkeeping (about 256 bytes on a
   * 64-bit JVM).
   */
  public long streamParameters() {
    return (long) hidden + experts + STREAM_OVERHEAD;
  }

  /** Builds the model, diagnostics on; call {@link #validate} first. */
  public MixtureOfExperts build() {
    MixtureOfExperts m = MixtureOfExperts.builder(inputDim, outputDim)
        .experts(Experts.nlms("e", experts, inputDim, outputDim, mu))
        .cell(CellConfig.DEFAULT.withHidden(hidden))
        .topK(topK)
        .routerLearningRate((float) routerLearningRate)
        .temperature((float) temperature)
        .seed(seed)
        .build();
    m.enableDiagnostics(diagnosticsWindow, diagnosticsDecay);
    return m;
  }

  /**
   * Checks a model name.
   *
   * @throws Refusal INVALID when the name is missing or malformed
   */
  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw Refusal.invalid("model name must be 1 to 64 characters of A-Z a-z 0-9 . _ - starting with a"
          + " letter or digit");
    }
  }

  private static void range(String field, long v, long min, long max) {
    if (v < min || v > max) {
      throw Refusal.invalid(field + " must lie in [" + min + ", " + max + "], got " + v);
    }
  }
}
