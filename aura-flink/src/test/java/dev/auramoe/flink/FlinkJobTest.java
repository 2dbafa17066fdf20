package dev.auramoe.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.scheduler.exceptionhistory.RootExceptionHistoryEntry;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The job on a MiniCluster of two slots against the same rule run in one JVM: at parallelism 1 the
 * single-JVM model, after a failure or the loss of a task manager the digest of a run without one, and
 * across a savepoint taken at one parallelism and restored at another the digest of a run that never
 * stopped.
 */
class FlinkJobTest {

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final int IN = 4;
  private static final ModelOptions OPTIONS = ModelOptions.of(IN, 1);
  private static final LearnRecords READER = new LearnRecords(IN, 1);

  @TempDir
  static Path dir;
  private static Path first;
  private static Path second;
  private static Path both;

  @BeforeAll
  static void inputs() throws Exception {
    first = dir.resolve("first.jsonl");
    second = dir.resolve("second.jsonl");
    both = dir.resolve("both.jsonl");
    SampleRecords.write(first, 1500, 12, IN, 7, 20);
    SampleRecords.write(second, 1500, 16, IN, 8, 20);
    Files.write(both, Files.readAllBytes(first));
    Files.write(both, Files.readAllBytes(second), java.nio.file.StandardOpenOption.APPEND);
  }

  /** The plain single-JVM model: learn every record in file order. */
  private static MixtureOfExperts singleJvm(Path file) throws Exception {
    MixtureOfExperts m = OPTIONS.build();
    float[] yHat = new float[1];
    READER.forEach(file, r -> {
      m.ensureStream(r.stream);
      m.learn(r.stream, r.x, r.y, yHat);
    });
    return m;
  }

  private static String localRun(int shards, Path... files) throws Exception {
    LocalRun run = new LocalRun(OPTIONS, shards, null);
    for (Path f : files) {
      run.learn(f, READER);
    }
    return run.digest();
  }

  private static StreamExecutionEnvironment env(Configuration conf) {
    return StreamExecutionEnvironment.getExecutionEnvironment(restarts(conf));
  }

  /** A job that fails restarts at once, three times at most. */
  static Configuration restarts(Configuration conf) {
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(10));
    return conf;
  }

  private static JobSummary run(JobSpec spec, Probe probe) throws Exception {
    StreamExecutionEnvironment env = env(new Configuration());
    List<JobSummary> out = new ArrayList<>();
    try (CloseableIterator<JobSummary> it = AuraFlinkJob.build(env, spec, probe).executeAndCollect()) {
      it.forEachRemaining(out::add);
    }
    assertThat(out).hasSize(1);
    return out.getFirst();
  }

  private static JobSpec bounded(Path input, int parallelism, int shards, Duration checkpoints) {
    return new JobSpec(List.of(input.toString()), null, parallelism, shards, OPTIONS, null, null, checkpoints);
  }

  @Test
  void parallelismOneGivesTheSingleJvmModel() throws Exception {
    String single = Snapshots.digest(singleJvm(both));
    JobSummary s = run(bounded(both, 1, 1, null), null);
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(single);
    assertThat(localRun(1, both)).isEqualTo(single);
  }

  @Test
  void twoShardsOnTwoSubtasksGiveTheLocalRunOfTwoShards() throws Exception {
    JobSummary s = run(bounded(both, 2, 2, null), null);
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(localRun(2, both));
    assertThat(s.digest).isNotEqualTo(localRun(1, both));
  }

  @Test
  void aFailureInTheMiddleRecoversFromItsCheckpointToTheSameModel() throws Exception {
    Probe probe = new Probe("failure", 1500, 400);
    JobSummary s = run(bounded(both, 2, 2, Duration.ofMillis(100)), probe);
    assertThat(Probe.failures("failure")).isEqualTo(1);
    // Restarted from a checkpoint, not from the start: fewer than 1500 records were read again.
    assertThat(Probe.seen("failure")).isGreaterThan(3000).isLessThan(4500);
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(localRun(2, both));
  }

  @Test
  void losingATaskManagerRecoversFromItsCheckpointToTheSameModel() throws Exception {
    JobSummary s = loseATaskManager("lost", env -> AuraFlinkJob.build(env, bounded(both, 2, 2, Duration.ofMillis(100)),
        new Probe("lost", Long.MAX_VALUE, 400)));
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(localRun(2, both));
  }

  /**
   * Runs a job of parallelism 2 on a cluster of its own, two task managers of one slot each (so that each
   * holds tasks of the job), whose probe is named {@code probe}; terminates one task manager after a
   * checkpoint completed and 1,500 records were read, and starts a replacement. Checks that the job
   * failed once, because a task manager went away, and read records again from a checkpoint (fewer than
   * before the loss).
   *
   * @return the job's summary
   */
  static JobSummary loseATaskManager(String probe,
      java.util.function.Function<StreamExecutionEnvironment, org.apache.flink.streaming.api.datastream.DataStream<JobSummary>> job)
      throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_PORT, "0");
    try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(2).setNumSlotsPerTaskManager(1).build())) {
      cluster.start();
      StreamExecutionEnvironment env = new TestStreamEnvironment(cluster, restarts(new Configuration()), 2,
          List.of(), List.of());
      List<JobSummary> out = new ArrayList<>();
      long seenAtLoss;
      try (CloseableIterator<JobSummary> it = job.apply(env).collectAsync()) {
        JobClient client = env.executeAsync(probe);
        try {
          await(client, () -> Probe.seen(probe) >= 1500 && Probe.checkpoints(probe) > 0);
          cluster.terminateTaskManager(0).get();
          seenAtLoss = Probe.seen(probe);
          // The job needs two slots again: a machine that replaces the lost one.
          cluster.startTaskManager();
          it.forEachRemaining(out::add);
          client.getJobExecutionResult().get();
        } finally {
          cancel(client);
        }
        var failures = new ArrayList<RootExceptionHistoryEntry>();
        cluster.getExecutionGraphInfo(client.getJobID()).get().getExceptionHistory().forEach(failures::add);
        assertThat(failures).hasSize(1);
        // The job failed once, and because a task manager went away (not a task that threw).
        assertThat(failures.getFirst().getExceptionAsString()).contains("The TaskExecutor is shutting down");
      }
      // Records were read again, but fewer than before the loss: restored from a checkpoint, not the start.
      assertThat(Probe.seen(probe)).isGreaterThan(3000).isLessThan(3000 + seenAtLoss);
      assertThat(out).hasSize(1);
      return out.getFirst();
    }
  }

  @ParameterizedTest(name = "parallelism {0}, then {1}")
  @CsvSource({"2, 1", "1, 2"})
  void aSavepointRestoresAtAnotherParallelism(int before, int after) throws Exception {
    Path watched = Files.createDirectories(dir.resolve("watched-" + before + "-" + after));
    Path savepoints = Files.createDirectories(dir.resolve("savepoints-" + before + "-" + after));
    Path model = dir.resolve("model-" + before + "-" + after + ".aura");
    put(first, watched.resolve("a.jsonl"));
    String name = "rescale-" + before + "-" + after;
    Probe p1 = new Probe(name + "-1", Long.MAX_VALUE, 0);
    JobClient job = AuraFlinkJob.build(env(new Configuration()), watching(watched, before, null), p1)
        .getExecutionEnvironment().executeAsync(name + "-1");
    String savepoint;
    try {
      await(job, () -> Probe.seen(name + "-1") >= 1500);
      savepoint = stop(job, false, savepoints);
    } finally {
      cancel(job);
    }

    put(second, watched.resolve("b.jsonl"));
    Configuration conf = new Configuration();
    conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    Probe p2 = new Probe(name + "-2", Long.MAX_VALUE, 0);
    JobClient job2 = AuraFlinkJob.build(env(conf), watching(watched, after, model.toString()), p2)
        .getExecutionEnvironment().executeAsync(name + "-2");
    try {
      await(job2, () -> Probe.seen(name + "-2") >= 1500);
      stop(job2, true, savepoints);
    } finally {
      cancel(job2);
    }
    assertThat(Files.exists(model)).isTrue();
    assertThat(Probe.seen(name + "-1")).isEqualTo(1500);
    assertThat(Probe.seen(name + "-2")).isEqualTo(1500);

    assertThat(Snapshots.digest(Snapshots.load(model, n -> null))).isEqualTo(localRun(2, first, second));
  }

  @Test
  void aModelLearnedOnTheClusterLoadsInOneJvmAndBack() throws Exception {
    // Cluster -> snapshot: the job writes the single-JVM snapshot when its input ends.
    Path m1 = dir.resolve("cluster-1.aura");
    JobSummary s1 = run(new JobSpec(List.of(first.toString()), null, 2, 1, OPTIONS, null, m1.toString(), null), null);
    MixtureOfExperts served = Snapshots.load(m1, n -> null);
    assertThat(Snapshots.digest(served)).isEqualTo(s1.digest).isEqualTo(Snapshots.digest(singleJvm(first)));

    // One JVM learns on from it (as a served model would) and saves it ...
    Path third = dir.resolve("third.jsonl");
    SampleRecords.write(third, 800, 20, IN, 9, 10);
    float[] yHat = new float[1];
    READER.forEach(second, r -> {
      served.ensureStream(r.stream);
      served.learn(r.stream, r.x, r.y, yHat);
    });
    Path m2 = dir.resolve("served.aura");
    Snapshots.save(served, m2);

    // ... and the cluster starts from that snapshot, its streams continuing where they were.
    Path m3 = dir.resolve("cluster-2.aura");
    JobSummary s3 = run(new JobSpec(List.of(third.toString()), null, 2, 1, OPTIONS, Files.readAllBytes(m2),
        m3.toString(), null), null);
    MixtureOfExperts all = singleJvm(both);
    READER.forEach(third, r -> {
      all.ensureStream(r.stream);
      all.learn(r.stream, r.x, r.y, yHat);
    });
    assertThat(s3.digest).isEqualTo(Snapshots.digest(all));
    assertThat(Snapshots.digest(Snapshots.load(m3, n -> null))).isEqualTo(s3.digest);
    // s0..s15 were in the snapshot and continue; s16..s19 are new.
    assertThat(all.streams()).hasSize(1 + 20);
  }

  @Test
  void aSavepointRefusesAnotherNumberOfShards() throws Exception {
    Path watched = Files.createDirectories(dir.resolve("watched-shards"));
    Path savepoints = Files.createDirectories(dir.resolve("savepoints-shards"));
    put(first, watched.resolve("a.jsonl"));
    Probe p1 = new Probe("shards-1", Long.MAX_VALUE, 0);
    JobClient job = AuraFlinkJob.build(env(new Configuration()), watching(watched, 1, 2, null), p1)
        .getExecutionEnvironment().executeAsync("shards-1");
    String savepoint;
    try {
      await(job, () -> Probe.seen("shards-1") >= 1500);
      savepoint = stop(job, false, savepoints);
    } finally {
      cancel(job);
    }
    Configuration conf = new Configuration();
    conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    JobClient job2 = AuraFlinkJob.build(env(conf), watching(watched, 1, 1, null), null)
        .getExecutionEnvironment().executeAsync("shards-2");
    try {
      assertThatThrownBy(() -> job2.getJobExecutionResult().get(60, java.util.concurrent.TimeUnit.SECONDS))
          .hasStackTraceContaining("the job's state was learned with 2 shards; --shards must stay 2 (it is 1)");
    } finally {
      cancel(job2);
    }
  }

  private static JobSpec watching(Path watched, int parallelism, String modelOut) {
    return watching(watched, parallelism, 2, modelOut);
  }

  private static JobSpec watching(Path watched, int parallelism, int shards, String modelOut) {
    return new JobSpec(List.of(watched.toString()), Duration.ofMillis(50), parallelism, shards, OPTIONS, null,
        modelOut, Duration.ofMillis(200));
  }

  /**
   * Stops a job with a savepoint ({@code drain}: ending its input first), trying again while some of its
   * tasks are still being deployed, which refuses a savepoint.
   */
  static String stop(JobClient job, boolean drain, Path savepoints) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return job.stopWithSavepoint(drain, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (attempt == 50) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** Cancels a job that is still running (after a failed test), so that it frees its slots. */
  static void cancel(JobClient job) throws Exception {
    if (!job.getJobStatus().get().isGloballyTerminalState()) {
      try {
        job.cancel().get();
      } catch (java.util.concurrent.ExecutionException e) {
        // It ended meanwhile.
      }
    }
  }

  /** Moves a complete file into a watched directory in one step. */
  static void put(Path from, Path to) throws Exception {
    Path tmp = to.resolveSibling("." + to.getFileName() + ".tmp");
    Files.copy(from, tmp);
    Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
  }

  static void await(JobClient job, java.util.function.BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline || job.getJobStatus().get().isGloballyTerminalState()) {
        String why = "";
        try {
          job.getJobExecutionResult().get(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          StringBuilder b = new StringBuilder();
          for (Throwable t = e; t != null; t = t.getCause()) {
            b.append("\n  ").append(t);
          }
          why = b.toString();
        }
        throw new AssertionError("job " + job.getJobStatus().get() + " before the condition held: " + why);
      }
      Thread.sleep(20);
    }
  }
}
