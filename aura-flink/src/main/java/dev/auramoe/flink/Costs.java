package dev.auramoe.flink;

import dev.auramoe.MixtureOfExperts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The job's costs per record and per stream, measured in this JVM on an input: what the scaling model of
 * docs/flink.md multiplies out. Shuffle bytes are those of Flink's own serializer of a record; state
 * bytes those the job keeps; times the best of a few passes over the input.
 */
final class Costs {

  private Costs() {}

  static void print(List<Path> files, ModelOptions options, dev.auramoe.flink.ep.EpOptions ep, PrintWriter out)
      throws Exception {
    LearnRecords reader = new LearnRecords(options.inputDim(), options.outputDim());
    List<LearnRecord> records = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    long textBytes = 0;
    for (Path f : files) {
      reader.forEach(f, records::add);
      for (String s : java.nio.file.Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (!s.isBlank()) {
          lines.add(s);
          textBytes += s.getBytes(StandardCharsets.UTF_8).length + 1;
        }
      }
    }
    if (records.isEmpty()) {
      throw new IOException("no records to measure");
    }
    TypeSerializer<LearnRecord> ser = TypeInformation.of(LearnRecord.class).createSerializer(new SerializerConfigImpl());
    DataOutputSerializer buf = new DataOutputSerializer(1024);
    long shuffle = 0;
    for (LearnRecord r : records) {
      buf.clear();
      ser.serialize(r, buf);
      shuffle += buf.length();
    }
    double parse = best(3, () -> {
      long t0 = System.nanoTime();
      for (int i = 0; i < lines.size(); i++) {
        reader.parse(lines.get(i), "line " + i);
      }
      return (System.nanoTime() - t0) / (double) lines.size();
    });
    double plain = best(3, () -> {
      MixtureOfExperts m = options.build();
      float[] yHat = new float[options.outputDim()];
      long t0 = System.nanoTime();
      for (LearnRecord r : records) {
        m.ensureStream(r.stream);
        m.learn(r.stream, r.x, r.y, yHat);
      }
      return (System.nanoTime() - t0) / (double) records.size();
    });
    LocalRun[] last = new LocalRun[1];
    double shard = best(3, () -> {
      LocalRun run = new LocalRun(options, 1, null);
      long t0 = System.nanoTime();
      for (LearnRecord r : records) {
        run.learn(r);
      }
      last[0] = run;
      return (System.nanoTime() - t0) / (double) records.size();
    });
    Set<String> streams = new HashSet<>();
    long idBytes = 0;
    for (LearnRecord r : records) {
      if (streams.add(r.stream)) {
        idBytes += r.stream.length();
      }
    }
    MixtureOfExperts model = last[0].model();
    String any = records.getFirst().stream;
    int exported = model.exportStream(any).length;
    Shard replica = Shard.fresh(0, options, null);
    int replicaBytes = replica.toBytes().length;
    double flush = best(5, () -> {
      long t0 = System.nanoTime();
      for (int i = 0; i < 100; i++) {
        replica.toBytes();
      }
      return (System.nanoTime() - t0) / 100.0;
    });
    out.printf(Locale.ROOT, "costs measured on %,d records of %,d streams (%d -> %d values, hidden %d, %d experts)%n",
        records.size(), streams.size(), options.inputDim(), options.outputDim(), options.hidden(), options.experts());
    out.printf(Locale.ROOT, "  input text                  %8.1f bytes/record%n", textBytes / (double) records.size());
    out.printf(Locale.ROOT, "  shuffle (Flink serializer)  %8.1f bytes/record%n", shuffle / (double) records.size());
    out.printf(Locale.ROOT, "  parse (source)              %8.2f us/record%n", parse / 1e3);
    out.printf(Locale.ROOT, "  learn, plain model          %8.2f us/record%n", plain / 1e3);
    out.printf(Locale.ROOT, "  learn, shard (stream state from keyed state) %8.2f us/record%n",
        shard / 1e3);
    out.printf(Locale.ROOT, "  state per stream            %8d bytes exported + %.1f bytes of id + 8 of order%n",
        exported, idBytes / (double) streams.size());
    out.printf(Locale.ROOT, "  replica (shared weights)    %,8d bytes, written in %.1f us at a checkpoint%n",
        replicaBytes, flush / 1e3);
    if (ep != null) {
      expertParallel(records, options, ep, out);
    }
    out.flush();
  }

  /** The messages of the expert-parallel stages per record, in Flink's serializers, and the rule's time in one JVM. */
  private static void expertParallel(List<LearnRecord> records, ModelOptions options, dev.auramoe.flink.ep.EpOptions ep,
      PrintWriter out) throws Exception {
    java.util.Map<Class<?>, TypeSerializer<Object>> sers = new java.util.HashMap<>();
    java.util.Map<Class<?>, long[]> sizes = new java.util.TreeMap<>(java.util.Comparator.comparing(Class::getSimpleName));
    DataOutputSerializer buf = new DataOutputSerializer(1024);
    dev.auramoe.flink.ep.EpLocalRun counted = new dev.auramoe.flink.ep.EpLocalRun(options, 1, ep, null);
    counted.observe(m -> {
      @SuppressWarnings("unchecked")
      TypeSerializer<Object> ser = sers.computeIfAbsent(m.getClass(),
          c -> (TypeSerializer<Object>) TypeInformation.of(c).createSerializer(new SerializerConfigImpl()));
      buf.clear();
      try {
        ser.serialize(m, buf);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      long[] n = sizes.computeIfAbsent(m.getClass(), c -> new long[2]);
      n[0]++;
      n[1] += buf.length();
    });
    for (LearnRecord r : records) {
      counted.learn(r);
    }
    double rule = best(3, () -> {
      dev.auramoe.flink.ep.EpLocalRun run = new dev.auramoe.flink.ep.EpLocalRun(options, 1, ep, null);
      long t0 = System.nanoTime();
      for (LearnRecord r : records) {
        run.learn(r);
      }
      run.model();
      return (System.nanoTime() - t0) / (double) records.size();
    });
    double n = records.size();
    long total = 0;
    out.printf(Locale.ROOT, "expert-parallel (%d instances, epoch %d, spill %s), per record:%n", ep.instances(),
        ep.epoch(), ep.spill());
    for (java.util.Map.Entry<Class<?>, long[]> e : sizes.entrySet()) {
      out.printf(Locale.ROOT, "  %-12s %6.2f messages, %8.1f bytes%n", e.getKey().getSimpleName(), e.getValue()[0] / n,
          e.getValue()[1] / n);
      total += e.getValue()[1];
    }
    out.printf(Locale.ROOT, "  shuffle in all %8.1f bytes/record (the record once to the route stage besides)%n", total / n);
    out.printf(Locale.ROOT, "  the rule in one JVM (route, experts, combine) %8.2f us/record%n", rule / 1e3);
  }

  private interface Pass {
    double run() throws Exception;
  }

  private static double best(int n, Pass p) throws Exception {
    double b = Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      b = Math.min(b, p.run());
    }
    return b;
  }
}
