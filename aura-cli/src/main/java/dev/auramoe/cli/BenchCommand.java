package dev.auramoe.cli;

import dev.auramoe.cli.bench.BenchResult;
import dev.auramoe.cli.bench.BenchRunner;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura bench}: single-threaded latency, throughput, fraction of peak and allocation. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {
      "Single-threaded measurements on a 384-input model (hidden 64, 16 NLMS experts, k=2): fp32 FMA peak, "
          + "route latency (HdrHistogram), routes/s, batched tokens/s and fraction of peak (one stream, and 256 "
          + "streams per call), learn/route, "
          + "bytes per route.",
      "Figures and targets on stdout, stage messages on stderr. Missed targets are reported, never hidden."
    })
public final class BenchCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--quick", description = "Short smoke run (a few seconds; timings not to be trusted). Its "
      + "bytesPerRoute is measured once route has stopped allocating (compiled by the JIT), which the full run's "
      + "longer loops reach by themselves.")
  boolean quick;

  @Mixin
  JsonOption json;

  @Mixin
  CheckOption check;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    json.checkPath();
    BenchResult r = BenchRunner.run(quick ? BenchRunner.Settings.QUICK : BenchRunner.Settings.FULL, line -> {
      err.println(line);
      err.flush();
    });
    r.print(out);
    json.write(r.toJson(), err);
    boolean all = r.routeP50Met() && r.fractionOfPeakMet() && r.manyStreamFractionOfPeakMet()
        && r.learnOverRouteMet() && r.bytesPerRouteMet();
    err.println(all ? "bench: all targets met" : "bench: some targets NOT MET (see the table)");
    err.flush();
    return check.exitStatus(all);
  }
}
