package dev.auramoe.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.flink.ep.EpJob;
import dev.auramoe.flink.ep.EpLocalRun;
import dev.auramoe.flink.ep.EpOptions;
import dev.auramoe.Snapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The expert-parallel job on a MiniCluster of two slots against its rule run in one JVM
 * ({@link EpLocalRun}): the same model at parallelism 1 and 2, and after a failure in the middle.
 */
class ExpertParallelJobTest {

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final int IN = 4;
  private static final ModelOptions OPTIONS = ModelOptions.of(IN, 1);
  private static final LearnRecords READER = new LearnRecords(IN, 1);
  private static final EpOptions EP = new EpOptions(64, 2, EpOptions.DEFAULT_SPILL);

  @TempDir
  static Path dir;
  private static Path first;
  private static Path second;
  private static Path input;
  private static String local;

  @BeforeAll
  static void inputs() throws Exception {
    first = dir.resolve("first.jsonl");
    second = dir.resolve("second.jsonl");
    input = dir.resolve("records.jsonl");
    SampleRecords.write(first, 1500, 20, IN, 9, 20);
    SampleRecords.write(second, 1500, 24, IN, 10, 20);
    Files.write(input, Files.readAllBytes(first));
    Files.write(input, Files.readAllBytes(second), java.nio.file.StandardOpenOption.APPEND);
    local = localRun(EP);
  }

  /** The rule in one JVM over both files. */
  private static String localRun(EpOptions ep) throws Exception {
    EpLocalRun run = new EpLocalRun(OPTIONS, 2, ep, null);
    run.learn(first, READER);
    run.learn(second, READER);
    return run.digest();
  }

  private static JobSpec bounded(int parallelism, Duration checkpoints) {
    return new JobSpec(List.of(input.toString()), null, parallelism, 2, OPTIONS, null, null, checkpoints);
  }

  private static JobSummary run(int parallelism, Duration checkpoints, Probe probe) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
        FlinkJobTest.restarts(new Configuration()));
    JobSpec spec = bounded(parallelism, checkpoints);
    List<JobSummary> out = new ArrayList<>();
    try (CloseableIterator<JobSummary> it = EpJob.build(env, spec, EP, probe).executeAndCollect()) {
      it.forEachRemaining(out::add);
    }
    assertThat(out).hasSize(1);
    return out.getFirst();
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2})
  void theJobEndsWithTheModelOfItsRuleInOneJvm(int parallelism) throws Exception {
    JobSummary s = run(parallelism, null, null);
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(local);
    assertThat(s.instanceTokens).hasSize(2);
  }

  @Test
  void fromAnInitialModelWithStreamsTheJobEndsWithTheModelOfItsRule() throws Exception {
    // The streams of the first file, with their recent errors, are in the initial model: the route
    // stages take them from it, the combine stages from the template.
    EpLocalRun before = new EpLocalRun(OPTIONS, 2, EP, null);
    before.learn(first, READER);
    byte[] initial = Snapshots.toBytes(before.model());
    EpLocalRun after = new EpLocalRun(OPTIONS, 2, EP, Snapshots.fromBytes(initial, ModelIo.NO_FUNCTIONS));
    after.learn(second, READER);
    JobSpec spec = new JobSpec(List.of(second.toString()), null, 2, 2, OPTIONS, initial, null, null);
    List<JobSummary> out = new ArrayList<>();
    try (CloseableIterator<JobSummary> it = EpJob.build(env(new Configuration()), spec, EP, null)
        .executeAndCollect()) {
      it.forEachRemaining(out::add);
    }
    assertThat(out).hasSize(1);
    assertThat(out.getFirst().records).isEqualTo(1500);
    assertThat(out.getFirst().digest).isEqualTo(after.digest());
  }

  @Test
  void unalignedCheckpointsAreRefusedAndNothingIsAdded() {
    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.ENABLE_UNALIGNED, true);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    long timeout = env.getBufferTimeout();
    assertThatThrownBy(() -> EpJob.build(env, bounded(2, Duration.ofMillis(100)), EP, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs aligned checkpoints: set execution.checkpointing.unaligned.enabled to false");
    assertThat(env.getTransformations()).isEmpty();
    assertThat(env.getBufferTimeout()).isEqualTo(timeout);
  }

  @Test
  void aBufferTimeoutThatWaitsForFullBuffersIsRefusedAndNothingIsAdded() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
    long timeout = env.getBufferTimeout();
    System.setProperty("aura.ep.bufferTimeoutMs", "-1");
    try {
      assertThatThrownBy(() -> EpJob.build(env, bounded(2, null), EP, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("aura.ep.bufferTimeoutMs must be >= 0");
    } finally {
      System.clearProperty("aura.ep.bufferTimeoutMs");
    }
    assertThat(env.getTransformations()).isEmpty();
    assertThat(env.getBufferTimeout()).isEqualTo(timeout);
  }

  @Test
  void aFailureInTheMiddleRecoversFromItsCheckpointToTheSameModel() throws Exception {
    Probe probe = new Probe("ep-failure", 1500, 400);
    JobSummary s = run(2, Duration.ofMillis(100), probe);
    assertThat(Probe.failures("ep-failure")).isEqualTo(1);
    assertThat(Probe.seen("ep-failure")).isGreaterThan(3000).isLessThan(4500);
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(local);
  }

  @Test
  void aFailureWithoutCheckpointsStartsAgainToTheSameModel() throws Exception {
    // The attempt that starts again restores no checkpoint, as the failed one: the same board's name.
    FailOnce.ARMED.set(true);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
        FlinkJobTest.restarts(new Configuration()));
    // (Collecting the summary needs checkpoints across a restart: the model goes to a file.)
    Path model = dir.resolve("no-checkpoints.aura");
    JobSpec spec = new JobSpec(List.of(input.toString()), null, 2, 2, OPTIONS, null, model.toString(), null);
    EpJob.build(env, spec, EP, new FailOnce(2000));
    env.execute("ep-no-checkpoints");
    assertThat(FailOnce.ARMED.get()).as("failed once").isFalse();
    assertThat(Snapshots.digest(Snapshots.load(model, n -> null))).isEqualTo(local);
  }

  /** Throws once, at the record after {@code after} were seen in the attempt. */
  private static final class FailOnce implements org.apache.flink.api.common.functions.MapFunction<LearnRecord,
      LearnRecord> {
    private static final long serialVersionUID = 1L;
    static final java.util.concurrent.atomic.AtomicBoolean ARMED = new java.util.concurrent.atomic.AtomicBoolean();
    private final long after;
    private long seen;

    FailOnce(long after) {
      this.after = after;
    }

    @Override
    public LearnRecord map(LearnRecord r) {
      if (++seen > after && ARMED.compareAndSet(true, false)) {
        throw new IllegalStateException("injected failure at record " + seen);
      }
      return r;
    }
  }

  @Test
  void losingATaskManagerRecoversFromItsCheckpointToTheSameModel() throws Exception {
    JobSummary s = FlinkJobTest.loseATaskManager("ep-lost", env -> {
      try {
        return EpJob.build(env, bounded(2, Duration.ofMillis(100)), EP, new Probe("ep-lost", Long.MAX_VALUE, 400));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(local);
  }

  @Test
  void aSavepointRestoresAtAnotherParallelism() throws Exception {
    Path watched = Files.createDirectories(dir.resolve("watched"));
    Path savepoints = Files.createDirectories(dir.resolve("savepoints"));
    Path model = dir.resolve("model.aura");
    FlinkJobTest.put(first, watched.resolve("a.jsonl"));
    Probe p1 = new Probe("ep-rescale-1", Long.MAX_VALUE, 0);
    JobClient job = EpJob.build(env(new Configuration()), watching(watched, 2, null), EP, p1)
        .getExecutionEnvironment().executeAsync("ep-rescale-1");
    String savepoint;
    try {
      FlinkJobTest.await(job, () -> Probe.seen("ep-rescale-1") >= 1500);
      savepoint = FlinkJobTest.stop(job, false, savepoints);
    } finally {
      FlinkJobTest.cancel(job);
    }
    FlinkJobTest.put(second, watched.resolve("b.jsonl"));
    Configuration conf = new Configuration();
    conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    Probe p2 = new Probe("ep-rescale-2", Long.MAX_VALUE, 0);
    JobClient job2 = EpJob.build(env(conf), watching(watched, 1, model.toString()), EP, p2)
        .getExecutionEnvironment().executeAsync("ep-rescale-2");
    try {
      FlinkJobTest.await(job2, () -> Probe.seen("ep-rescale-2") >= 1500);
      FlinkJobTest.stop(job2, true, savepoints);
    } finally {
      FlinkJobTest.cancel(job2);
    }
    assertThat(Probe.seen("ep-rescale-1")).isEqualTo(1500);
    assertThat(Probe.seen("ep-rescale-2")).isEqualTo(1500);
    assertThat(Snapshots.digest(Snapshots.load(model, n -> null))).isEqualTo(local);

    // Another epoch length, or another spill threshold, is refused, naming the settings.
    refused(savepoint, watched, new EpOptions(32, 2, EP.spill()),
        "--epoch 64 --spill 0.25; they must stay (they are 2, 2, 32, 0.25)");
    refused(savepoint, watched, new EpOptions(64, 2, 0),
        "--epoch 64 --spill 0.25; they must stay (they are 2, 2, 64, 0.0)");
  }

  /** A job restored from {@code savepoint} with {@code ep} fails at once, with {@code message}. */
  private static void refused(String savepoint, Path watched, EpOptions ep, String message) throws Exception {
    Configuration again = new Configuration();
    again.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    JobClient job = EpJob.build(env(again), watching(watched, 1, null), ep, null)
        .getExecutionEnvironment().executeAsync("ep-refused");
    try {
      assertThatThrownBy(() -> job.getJobExecutionResult().get(60, java.util.concurrent.TimeUnit.SECONDS))
          .hasStackTraceContaining(message);
    } finally {
      FlinkJobTest.cancel(job);
    }
  }

  private static StreamExecutionEnvironment env(Configuration conf) {
    return StreamExecutionEnvironment.getExecutionEnvironment(FlinkJobTest.restarts(conf));
  }

  private static JobSpec watching(Path watched, int parallelism, String modelOut) {
    return new JobSpec(List.of(watched.toString()), Duration.ofMillis(50), parallelism, 2, OPTIONS, null, modelOut,
        Duration.ofMillis(200));
  }
}
