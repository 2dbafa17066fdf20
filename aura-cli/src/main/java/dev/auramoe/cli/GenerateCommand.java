package dev.auramoe.cli;

import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.gen.Generators;
import dev.auramoe.stream.io.FashionMnist;
import dev.auramoe.stream.gen.LimitedStream;
import dev.auramoe.stream.io.ArffWriter;
import dev.auramoe.stream.io.CsvWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aura generate}: writes one of the seeded benchmark streams to an ARFF or CSV file. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {
      "Writes a seeded benchmark stream (with its concept drifts) to a file: ARFF when the name ends in .arff, "
          + "CSV otherwise. The same name, length and seed always give the same file.",
      "Streams: sea, hyperplane, rbf, agrawal, agrawal-gradual, led; --list describes them. fashion-mnist "
          + "writes the installed Fashion-MNIST (train, then t10k) as one file instead."
    })
public final class GenerateCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The stream.")
  String name;

  @Option(names = "--out", paramLabel = "FILE", description = "Output file (.arff or .csv), replaced if it exists. "
      + OutputPaths.FILE_RULE)
  Path out;

  @Option(names = "--instances", paramLabel = "N", description = "Instances (default: ${DEFAULT-VALUE}; "
      + "fashion-mnist: all 70,000 unless fewer are asked for).")
  long instances = 100_000;

  @Option(names = "--seed", paramLabel = "S", description = "Seed (default: the stream's own fixed seed).")
  Long seed;

  @Option(names = "--data", paramLabel = "DIR", description = "Where Fashion-MNIST's IDX files are (default: "
      + "/usr/share/datasets/fashion-mnist, from apt-get install dataset-fashion-mnist).")
  Path data = FashionMnist.DEFAULT_DIR;

  @Option(names = "--list", description = "Describe every stream and exit.")
  boolean list;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    if (list) {
      for (String n : Generators.names()) {
        o.printf(Locale.ROOT, "%-16s %s%n", n, Generators.describe(n));
      }
      o.flush();
      return 0;
    }
    if (name == null || out == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give a stream NAME and --out FILE (or --list)");
    }
    if (name.equals("fashion-mnist")) {
      if (!FashionMnist.isAvailable(data)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "Fashion-MNIST is not in " + data
            + ": apt-get install dataset-fashion-mnist (or give --data DIR)");
      }
      OutputPaths.checkFile("--out", out);
      // Pixels are written as their raw 0..255 bytes (the reader scales them to [0, 1]): a tenth of the
      // size of the scaled decimals, and every learner standardises or splits on them alike.
      try (InstanceStream scaled = FashionMnist.stream(data); InstanceStream s = rawPixels(scaled)) {
        long n = spec.commandLine().getParseResult().hasMatchedOption("--instances") ? instances : 70_000;
        long written = out.getFileName().toString().endsWith(".arff") ? ArffWriter.write(s, out, n)
            : CsvWriter.write(s, out, n);
        spec.commandLine().getErr().printf(Locale.ROOT, "wrote %,d Fashion-MNIST instances to %s%n", written, out);
      }
      return 0;
    }
    if (!Generators.names().contains(name)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "unknown stream '" + name + "'; known: "
          + String.join(", ", Generators.names()));
    }
    if (instances < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--instances must be at least 1");
    }
    OutputPaths.checkFile("--out", out);
    LimitedStream s = seed == null ? Generators.create(name, instances) : Generators.create(name, instances, seed);
    long written = out.getFileName().toString().endsWith(".arff") ? ArffWriter.write(s, out, instances)
        : CsvWriter.write(s, out, instances);
    spec.commandLine().getErr().printf(Locale.ROOT, "wrote %,d instances of %s to %s (drifts at %s)%n", written, name,
        out, s.driftPoints());
    return 0;
  }

  /** The Fashion-MNIST stream with its pixel columns back in 0..255. */
  static InstanceStream rawPixels(InstanceStream scaled) {
    int target = scaled.schema().targetIndex();
    return new InstanceStream() {
      @Override
      public dev.auramoe.stream.data.Schema schema() {
        return scaled.schema();
      }

      @Override
      public boolean next(dev.auramoe.stream.data.Instance into) throws java.io.IOException {
        if (!scaled.next(into)) {
          return false;
        }
        double[] v = into.values();
        for (int i = 0; i < v.length; i++) {
          if (i != target) {
            v[i] = Math.round(v[i] * 255.0);
          }
        }
        return true;
      }
    };
  }
}
