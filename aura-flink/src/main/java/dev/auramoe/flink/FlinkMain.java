package dev.auramoe.flink;

import dev.auramoe.Defaults;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import dev.auramoe.flink.ep.EpJob;
import dev.auramoe.flink.ep.EpLocalRun;
import dev.auramoe.flink.ep.EpOptions;
import picocli.CommandLine.Option;

/**
 * {@code aura flink}: the job on an embedded local cluster (started by {@code ./aura flink}), or on a
 * real one ({@code flink run aura-flink-...-job.jar ...}: the same options, the cluster's own
 * environment).
 */
@Command(name = "flink", mixinStandardHelpOptions = true,
    description = {
      "Routes and learns on-line with Apache Flink: each record (one JSON object a line, the service's learn "
          + "body {\"stream\":\"s1\",\"x\":[...],\"y\":[...]}) is predicted, then learned from; each stream's state "
          + "is keyed state, the shared weights are kept by --shards learner shards, checkpoints are exactly-once.",
      "Started by ./aura it runs on an embedded local cluster; with `flink run` the same options run on that "
          + "cluster. Prints records, wall time, records per second, the prequential MSE and the model's digest on "
          + "stdout; --model-out writes the model as a snapshot that `aura serve --import NAME=FILE` (or POST "
          + "/v1/models/NAME/import) and the library load.",
      "See docs/flink.md."})
public final class FlinkMain implements Callable<Integer> {

  @Option(names = "--input", paramLabel = "FILE|DIR", description = "Records to learn: files, or directories "
      + "of files (repeatable; read one after another). A URI with a scheme (hdfs://, s3://) is read by the "
      + "cluster's file system and not checked here; it needs --input-dim and --output-dim.")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--parallelism", paramLabel = "N", description = "Learner subtasks (default: ${DEFAULT-VALUE}).")
  int parallelism = 1;

  @Option(names = "--shards", paramLabel = "S", description = "Learner shards, the replicas of the shared weights "
      + "(default: the parallelism). The model depends on it, not on the parallelism; 1 learns the single-JVM model.")
  Integer shards;

  @Option(names = "--input-dim", paramLabel = "D", description = "Input size (default: the length of the first "
      + "record's x).")
  Integer inputDim;

  @Option(names = "--output-dim", paramLabel = "D", description = "Output size (default: the length of the first "
      + "record's y).")
  Integer outputDim;

  @Option(names = "--experts", paramLabel = "N", description = "NLMS experts (default: ${DEFAULT-VALUE}).")
  int experts = Defaults.EXPERTS;

  @Option(names = "--top-k", paramLabel = "K", description = "Experts per input (default: ${DEFAULT-VALUE}).")
  int topK = Defaults.TOP_K;

  @Option(names = "--hidden", paramLabel = "H", description = "The gating cell's state size (default: "
      + "${DEFAULT-VALUE}).")
  int hidden = Defaults.HIDDEN;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial weights (default: ${DEFAULT-VALUE}).")
  long seed = Defaults.SEED;

  @Option(names = "--initial-model", paramLabel = "FILE", description = "Start from this snapshot (a model saved "
      + "by the library or --model-out, or exported by `aura serve`: GET /v1/models/NAME/snapshot) instead of fresh "
      + "weights; its streams continue.")
  Path initialModel;

  @Option(names = "--model-out", paramLabel = "FILE", description = "Write the model, when the input ends, as a "
      + "snapshot (on a cluster: a path on the machine that runs the job's last task).")
  Path modelOut;

  @Option(names = "--checkpoint-interval", paramLabel = "MS", description = "Exactly-once checkpoints every MS "
      + "milliseconds; 0 for none (default: ${DEFAULT-VALUE}).")
  long checkpointMillis = 10_000;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR|URI", description = "Where checkpoints are written "
      + "(default: the cluster's setting; on the embedded cluster a temporary directory, removed at the end).")
  String checkpointDir;

  @Option(names = "--watch", paramLabel = "MS", description = "Watch the --input directories for new files every MS "
      + "milliseconds and run until stopped (flink stop --drain writes --model-out).")
  Long watchMillis;

  @Option(names = "--generate", paramLabel = "FILE", description = "Write a seeded sample input to FILE and exit "
      + "(with --records, --streams and --input-dim).")
  Path generate;

  @Option(names = "--records", paramLabel = "N", description = "Records of --generate (default: ${DEFAULT-VALUE}).")
  long records = 100_000;

  @Option(names = "--streams", paramLabel = "N", description = "Streams of --generate (default: ${DEFAULT-VALUE}).")
  int streams = 1_000;

  @Option(names = "--check-local", description = "Also learn the input in this JVM by the same rule, without "
      + "Flink, and compare the digests (exit status 1 when they differ).")
  boolean checkLocal;

  @Option(names = "--expert-parallel", description = "Spread the experts over the subtasks (expert parallelism): "
      + "tokens go to the instances holding their experts, the outputs are combined per record beside the route, "
      + "hot experts spill to replicas on the least-loaded instances (docs/flink.md, the expert-parallel rule).")
  boolean expertParallel;

  @Option(names = "--epoch", paramLabel = "N", description = "With --expert-parallel: records per epoch; a record "
      + "is routed with the router and recent errors learned through the epoch before its own (default: "
      + "${DEFAULT-VALUE}).")
  int epoch = dev.auramoe.flink.ep.EpOptions.DEFAULT_EPOCH;

  @Option(names = "--expert-instances", paramLabel = "I", description = "With --expert-parallel: expert "
      + "instances, expert e's home is instance e mod I; fixed across savepoints (default: the parallelism).")
  Integer expertInstances;

  @Option(names = "--spill", paramLabel = "F", description = "With --expert-parallel: a shard sends an expert's "
      + "tokens to the least-loaded instance once the expert's home has F times more than the mean load above "
      + "the mean; 0 for never; fixed across savepoints (default: ${DEFAULT-VALUE}).")
  double spill = dev.auramoe.flink.ep.EpOptions.DEFAULT_SPILL;

  @Option(names = "--costs", description = "Measure the per-record and per-stream costs of the input in this JVM "
      + "(parse, shuffle bytes, learn, state and replica sizes) instead of running the job.")
  boolean costs;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs the command; exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line, with errors of the user's own as one line on stderr and exit status 1. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new FlinkMain());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof IOException || e instanceof IllegalArgumentException) {
        cmd.getErr().println("aura flink: " + e.getMessage());
        return 1;
      }
      throw e;
    });
    return cl;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (generate != null) {
      int d = inputDim == null ? 16 : inputDim;
      SampleRecords.write(generate, records, streams, d, seed, 100);
      out.printf(Locale.ROOT, "wrote %,d records of %,d streams (%d inputs -> 1) to %s%n", records, streams, d,
          generate);
      out.flush();
      return 0;
    }
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("--input is required (or --generate FILE to write a sample)");
    }
    List<Path> files = files();
    int[] dims = dimensions(files);
    ModelOptions model = new ModelOptions(dims[0], dims[1], experts, topK, hidden, seed, Defaults.MU,
        Defaults.ROUTER_LEARNING_RATE, Defaults.TEMPERATURE);
    byte[] initial = null;
    MixtureOfExperts initialModelLoaded = null;
    if (initialModel != null) {
      initial = Files.readAllBytes(initialModel);
      initialModelLoaded = Snapshots.fromBytes(initial, ModelIo.NO_FUNCTIONS);
      if (initialModelLoaded.inputDim() != dims[0] || initialModelLoaded.outputDim() != dims[1]) {
        throw new IllegalArgumentException(initialModel + " is a model of " + initialModelLoaded.inputDim() + " -> "
            + initialModelLoaded.outputDim() + " values; the records are " + dims[0] + " -> " + dims[1]);
      }
    }
    if (costs) {
      Costs.print(files, model, expertParallel ? new EpOptions(epoch,
          expertInstances == null ? parallelism : expertInstances, spill) : null, out);
      return 0;
    }
    long checked = 0;
    LearnRecords reader = new LearnRecords(dims[0], dims[1]);
    if (watchMillis == null) {
      for (Path f : files) {
        checked += reader.forEach(f, r -> {});
      }
    }
    int s = shards == null ? parallelism : shards;
    JobSpec job = new JobSpec(inputs.stream().map(p -> remote(p) ? p : Path.of(p).toAbsolutePath().toString()).toList(),
        watchMillis == null ? null : Duration.ofMillis(watchMillis), parallelism, s, model, initial,
        modelOut == null ? null : modelOut.toAbsolutePath().toString(),
        checkpointMillis > 0 ? Duration.ofMillis(checkpointMillis) : null);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration conf = new Configuration();
    Path temporary = null;
    if (checkpointDir != null) {
      conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
      conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, remote(checkpointDir) ? checkpointDir
          : Path.of(checkpointDir).toAbsolutePath().toUri().toString());
    }
    if (env instanceof LocalStreamEnvironment) {
      // Embedded: checkpoints go to files (the job manager's memory holds 5 MB of state at most), and a
      // job that keeps failing stops after three restarts instead of retrying for ever.
      if (checkpointDir == null) {
        temporary = Files.createTempDirectory("aura-flink-checkpoints");
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, temporary.toUri().toString());
      }
      conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
      conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
      conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
      env = StreamExecutionEnvironment.createLocalEnvironment(conf);
    } else {
      env.configure(conf);
    }
    try {
      if (expertParallel) {
        EpOptions ep = new EpOptions(epoch, expertInstances == null ? parallelism : expertInstances, spill);
        return runExpertParallel(env, job, ep, files, model, initialModelLoaded, reader, checked, s, out);
      }
      return run(env, job, files, model, initialModelLoaded, reader, checked, s, out);
    } finally {
      if (temporary != null) {
        try (Stream<Path> walk = Files.walk(temporary)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private int run(StreamExecutionEnvironment env, JobSpec job, List<Path> files, ModelOptions model,
      MixtureOfExperts initialModelLoaded, LearnRecords reader, long checked, int s, PrintWriter out)
      throws Exception {
    long t0 = System.nanoTime();
    JobSummary summary = execute(AuraFlinkJob.build(env, job, null));
    double wall = (System.nanoTime() - t0) / 1e9;
    double active = summary.activeNanos / 1e9;
    out.printf(Locale.ROOT, "aura flink: %,d records, parallelism %d, %d shard%s, %s kernels%n", summary.records,
        parallelism, s, s == 1 ? "" : "s", dev.auramoe.math.VectorMath.kernels());
    out.printf(Locale.ROOT, "  wall time                %8.2f s (job start to end)%n", wall);
    out.printf(Locale.ROOT, "  records per second       %,10.0f (wall)   %,10.0f (learners, first to last record)%n",
        summary.records / wall, active > 0 ? summary.records / active : Double.NaN);
    out.printf(Locale.ROOT, "  prequential MSE          %10.5f%n", summary.mse);
    out.printf(Locale.ROOT, "  model                    %,d bytes%s%n", summary.modelBytes,
        modelOut == null ? "" : " -> " + modelOut);
    out.printf(Locale.ROOT, "  keyed state at the end   %,d bytes: %d replica%s %,d + %,d streams %,d (%.1f bytes/stream)%n",
        summary.replicaBytes + summary.streamBytes, s, s == 1 ? "" : "s", summary.replicaBytes, summary.streams,
        summary.streamBytes, summary.streams == 0 ? 0.0 : summary.streamBytes / (double) summary.streams);
    out.printf(Locale.ROOT, "  checkpoints              %d, streams and replicas written into state in %.2f ms in all"
        + " (the slowest subtask)%n", summary.checkpoints, summary.checkpointNanos / 1e6);
    String local = null;
    if (checkLocal) {
      LocalRun run = new LocalRun(model, s, initialModelLoaded);
      for (Path f : files) {
        run.learn(f, reader);
      }
      local = run.digest();
    }
    return finish(summary, local, checked, out);
  }

  private int runExpertParallel(StreamExecutionEnvironment env, JobSpec job, EpOptions ep, List<Path> files,
      ModelOptions model, MixtureOfExperts initialModelLoaded, LearnRecords reader, long checked, int s,
      PrintWriter out) throws Exception {
    long t0 = System.nanoTime();
    JobSummary summary = execute(EpJob.build(env, job, ep, null));
    double wall = (System.nanoTime() - t0) / 1e9;
    double active = summary.activeNanos / 1e9;
    out.printf(Locale.ROOT, "aura flink --expert-parallel: %,d records, parallelism %d, %d shard%s, %d expert "
        + "instance%s, epoch %d, spill %s, %s kernels%n", summary.records, parallelism, s, s == 1 ? "" : "s",
        ep.instances(), ep.instances() == 1 ? "" : "s", ep.epoch(), ep.spill() == 0 ? "off" : ep.spill(),
        dev.auramoe.math.VectorMath.kernels());
    out.printf(Locale.ROOT, "  wall time                %8.2f s (job start to end)%n", wall);
    out.printf(Locale.ROOT, "  records per second       %,10.0f (wall)   %,10.0f (first record routed to last learned)%n",
        summary.records / wall, active > 0 ? summary.records / active : Double.NaN);
    out.printf(Locale.ROOT, "  prequential MSE          %10.5f%n", summary.mse);
    out.printf(Locale.ROOT, "  model                    %,d bytes%s%n", summary.modelBytes,
        modelOut == null ? "" : " -> " + modelOut);
    long max = 0;
    long sum = 0;
    for (long t : summary.instanceTokens) {
      max = Math.max(max, t);
      sum += t;
    }
    out.printf(Locale.ROOT, "  tokens per instance      %s (max/mean %.3f)%n",
        java.util.Arrays.toString(summary.instanceTokens), sum == 0 ? 0.0 : max * summary.instanceTokens.length / (double) sum);
    String local = null;
    if (checkLocal) {
      EpLocalRun run = new EpLocalRun(model, s, ep, initialModelLoaded);
      for (Path f : files) {
        run.learn(f, reader);
      }
      local = run.digest();
    }
    return finish(summary, local, checked, out);
  }

  /** Runs a job to its end: its summary, or {@link IOException} when it ended without one. */
  private static JobSummary execute(org.apache.flink.streaming.api.datastream.DataStream<JobSummary> job)
      throws Exception {
    JobSummary summary = null;
    try (CloseableIterator<JobSummary> it = job.executeAndCollect("aura flink")) {
      while (it.hasNext()) {
        summary = it.next();
      }
    }
    if (summary == null) {
      throw new IOException("the job ended without a model (a job stopped with a savepoint writes none;"
          + " flink stop --drain ends its input and writes it)");
    }
    return summary;
  }

  /**
   * The summary's last lines: the digest, the rule's in one JVM when it was run ({@code local}, else
   * null), and a warning when the job learned another number of records than the files hold.
   *
   * @return the exit status: 1 when the digests differ or records are missing
   */
  private int finish(JobSummary summary, String local, long checked, PrintWriter out) {
    out.printf(Locale.ROOT, "  digest                   %s%n", summary.digest);
    int rc = 0;
    if (local != null) {
      boolean same = local.equals(summary.digest);
      out.printf(Locale.ROOT, "  single-JVM rule digest   %s (%s)%n", local, same ? "equal" : "DIFFERENT");
      rc = same ? 0 : 1;
    }
    if (watchMillis == null && inputs.stream().noneMatch(FlinkMain::remote) && checked != summary.records) {
      out.printf(Locale.ROOT, "  WARNING: the files hold %,d records, the job learned %,d%n", checked,
          summary.records);
      rc = 1;
    }
    out.flush();
    return rc;
  }

  private static boolean remote(String input) {
    return input.contains("://");
  }

  /**
   * The local input files, a directory's files in name order (hidden ones, as the source does, left out);
   * inputs on a cluster's file system are not listed.
   */
  private List<Path> files() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String input : inputs) {
      if (remote(input)) {
        continue;
      }
      Path p = Path.of(input);
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().startsWith(".")
              && !f.getFileName().toString().startsWith("_")).sorted().forEach(files::add);
        }
      } else if (Files.isRegularFile(p)) {
        files.add(p);
      } else {
        throw new IOException(p + ": no such file or directory");
      }
    }
    return files;
  }

  /** The sizes given, or read from the first record. */
  private int[] dimensions(List<Path> files) throws IOException {
    if (inputDim != null && outputDim != null) {
      return new int[] {inputDim, outputDim};
    }
    for (Path f : files) {
      try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        long line = 0;
        for (String s = r.readLine(); s != null; s = r.readLine()) {
          line++;
          if (!s.isBlank()) {
            int[] d = LearnRecords.sizes(s, f + ":" + line);
            return new int[] {inputDim != null ? inputDim : d[0], outputDim != null ? outputDim : d[1]};
          }
        }
      }
    }
    throw new IllegalArgumentException("no record to read the sizes from; give --input-dim and --output-dim");
  }
}
