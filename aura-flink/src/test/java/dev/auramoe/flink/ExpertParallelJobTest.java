package dev.auramoe.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.flink.ep.EpJob;
import dev.auramoe.flink.ep.EpLocalRun;
import dev.auramoe.flink.ep.EpOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
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
  private static Path input;
  private static String local;

  @BeforeAll
  static void inputs() throws Exception {
    input = dir.resolve("records.jsonl");
    SampleRecords.write(input, 3000, 20, IN, 9, 20);
    EpLocalRun run = new EpLocalRun(OPTIONS, 2, EP, null);
    run.learn(input, READER);
    local = run.digest();
  }

  private static JobSummary run(int parallelism, Duration checkpoints, Probe probe) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(10));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    JobSpec spec = new JobSpec(List.of(input.toString()), null, parallelism, 2, OPTIONS, null, null, checkpoints);
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
  void aFailureInTheMiddleRecoversFromItsCheckpointToTheSameModel() throws Exception {
    Probe probe = new Probe("ep-failure", 1500, 400);
    JobSummary s = run(2, Duration.ofMillis(100), probe);
    assertThat(Probe.failures("ep-failure")).isEqualTo(1);
    assertThat(Probe.seen("ep-failure")).isGreaterThan(3000).isLessThan(4500);
    assertThat(s.records).isEqualTo(3000);
    assertThat(s.digest).isEqualTo(local);
  }
}
