package dev.auramoe.flink.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.flink.JobSpec;
import dev.auramoe.flink.ModelOptions;
import dev.auramoe.flink.SampleRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The boards of a job live no longer than the job in the task manager's JVM. */
class BoardsTest {

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  @TempDir
  Path dir;

  @Test
  void aBoardKeepsWhatItsRouteStageMayStillAskForAndNoMore() throws Exception {
    Boards.Board board = new Boards.Board();
    for (long e = 0; e < 1000; e++) {
      // The combine stage publishes epoch e, then its end; stream t has records every third epoch.
      board.publish(e, new float[] {e});
      board.publish("s", e, new float[] {e});
      if (e % 3 == 0) {
        board.publish("t", e, new float[] {-e});
      }
      board.progress(e);
      // What the route stage reads at the next epoch's records.
      assertThat(board.await(e).params()).containsExactly(e);
      assertThat(board.recent("s", e)).containsExactly(e);
      assertThat(board.recent("t", e)).containsExactly(-(e - e % 3));
    }
    // Per stream and for the router, the last epoch's values and the one before (EpOptions.LAG).
    assertThat(board.entries()).isLessThanOrEqualTo(6);
  }

  @Test
  void aCancelledJobLeavesNoBoardBehind() throws Exception {
    Path watched = Files.createDirectories(dir.resolve("watched"));
    SampleRecords.write(watched.resolve("a.jsonl"), 300, 10, 4, 3, 20);
    JobSpec spec = new JobSpec(List.of(watched.toString()), Duration.ofMillis(50), 2, 2, ModelOptions.of(4, 1),
        null, null, null);
    JobClient job = EpJob.build(StreamExecutionEnvironment.getExecutionEnvironment(), spec,
        new EpOptions(64, 2, EpOptions.DEFAULT_SPILL), null).getExecutionEnvironment().executeAsync("ep-cancel");
    String id = job.getJobID().toString();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Boards.holds(id) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(Boards.holds(id)).as("the running job's boards").isTrue();
    job.cancel().get();
    assertThatThrownBy(() -> job.getJobExecutionResult().get(60, TimeUnit.SECONDS))
        .hasStackTraceContaining("cancel");
    assertThat(Boards.holds(id)).as("the cancelled job's boards").isFalse();
  }
}
