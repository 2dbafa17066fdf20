package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.flink.LearnRecord;
import dev.auramoe.flink.LearnRecords;
import dev.auramoe.flink.LocalRun;
import dev.auramoe.flink.ModelIo;
import dev.auramoe.flink.ModelOptions;
import dev.auramoe.flink.Shard;
import dev.auramoe.flink.ShardResult;
import dev.auramoe.flink.Shards;
import dev.auramoe.io.SnapshotException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The expert-parallel rule in one JVM, without Flink: records numbered in input order; epoch by epoch,
 * each shard's route stage routes its records with the router its combine stage learned through
 * {@link EpOptions#LAG} epochs before; then every expert replica computes and learns its tokens in
 * input order, and every shard's combine stage mixes and teaches its router in input order. The job
 * ends with this run's model, bit for bit, at any parallelism, through failures and restarts.
 */
public final class EpLocalRun {

  private final int shards;
  private final EpOptions ep;
  private final MixtureOfExperts template;
  private final RouteStage[] routes;
  private final LocalRun.MapStates[] states;
  private final Combiner[] combiners;
  private final Map<Integer, ExpertSlot> slots = new TreeMap<>();
  private final List<Dispatch> dispatches = new ArrayList<>();
  private final List<Routed> routed = new ArrayList<>();
  private final List<Map<String, RecentHistory>> recents = new ArrayList<>();
  private long seq;
  private long epoch;
  private java.util.function.Consumer<Object> observer = m -> {};

  /** A run from a fresh model of {@code options}, or from {@code initial}. */
  public EpLocalRun(ModelOptions options, int shards, EpOptions ep, MixtureOfExperts initial) throws SnapshotException {
    this.shards = Shards.check(shards);
    this.ep = ep;
    this.template = initial == null ? options.build() : copy(initial);
    Shard.Initial init = initial == null ? null : Shard.Initial.of(initial);
    routes = new RouteStage[shards];
    states = new LocalRun.MapStates[shards];
    combiners = new Combiner[shards];
    for (int i = 0; i < shards; i++) {
      routes[i] = RouteStage.fresh(i, options, init, ep);
      states[i] = new LocalRun.MapStates();
      combiners[i] = Combiner.fresh(copy(template), ep);
      recents.add(new HashMap<>());
    }
  }

  private final RouterVersions versions = new RouterVersions() {
    @Override
    public Version await(int shard, long epoch) {
      return combiners[shard].version(epoch);
    }

    @Override
    public float[] recentErrors(int shard, String stream, long epoch) {
      RecentHistory h = recents.get(shard).get(stream);
      return h == null ? null : h.asOf(epoch);
    }
  };

  /** Learns one record (a copy is numbered; the record is not changed). */
  public void learn(LearnRecord r) throws Exception {
    LearnRecord n = new LearnRecord(r.stream, r.x, r.y);
    n.seq = seq++;
    long e = ep.epochOf(n.seq);
    if (e != epoch) {
      finishEpoch();
      epoch = e;
    }
    int s = Shards.shardOf(n.stream, shards);
    routes[s].route(n, states[s], versions, d -> {
      observer.accept(d);
      dispatches.add(d);
    }, t -> {
      observer.accept(t);
      routed.add(t);
    });
  }

  /** Sees every message the job would send between its stages ({@link Dispatch}, {@link Routed}, {@link ExpertOutput}). */
  public void observe(java.util.function.Consumer<Object> o) {
    this.observer = o;
  }

  /** Learns every record of a file, in order; the number of records. */
  public long learn(Path file, LearnRecords reader) throws IOException {
    return reader.learnEach(file, this::learn);
  }

  /**
   * The experts' and the combine stages' work on the current epoch's tokens, in input order. Also in
   * the middle of an epoch (for what the run reports so far): the rest of the epoch is computed later
   * in input order too, and routed with what its start read, so the run ends with the same model.
   */
  private void finishEpoch() throws Exception {
    Map<Long, List<ExpertOutput>> outputs = new TreeMap<>();
    for (Dispatch d : dispatches) {
      ExpertOutput o = ExpertSlot.apply(d, e -> slots.computeIfAbsent(e * ep.instances() + d.instance,
          k -> ExpertSlot.of(template.expert(e))));
      observer.accept(o);
      outputs.computeIfAbsent(d.seq, k -> new ArrayList<>()).add(o);
    }
    Set<Integer> learned = new HashSet<>();
    for (Routed t : routed) {
      Map<String, RecentHistory> rec = recents.get(t.shard);
      combiners[t.shard].learn(t, EpStages.byExpert(t, outputs.get(t.seq)), new Combiner.Recents() {
        @Override
        public RecentHistory get(String stream) {
          return rec.get(stream);
        }

        @Override
        public void put(String stream, RecentHistory history) {
          rec.put(stream, history);
        }
      });
      learned.add(t.shard);
    }
    for (int s : learned) {
      combiners[s].endEpoch(epoch);
    }
    dispatches.clear();
    routed.clear();
  }

  /** The model, as the job's end assembles it. */
  public MixtureOfExperts model() throws Exception {
    finishEpoch();
    List<ShardResult> rs = new ArrayList<>();
    List<CombineResult> cs = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      rs.add(routes[i].shard().assemble(states[i], shards));
      Combiner c = combiners[i];
      if (c.records() > 0) {
        Map<String, RecentHistory> rec = recents.get(i);
        String[] ids = rec.keySet().stream().sorted().toArray(String[]::new);
        float[][] values = new float[ids.length][];
        for (int j = 0; j < ids.length; j++) {
          values[j] = rec.get(ids[j]).latest();
        }
        cs.add(new CombineResult(i, c.records(), c.squaredError(), c.routerParameters(), ids, values));
      }
    }
    return EpAssembly.model(rs, cs, slotResults(), shards);
  }

  /** The replicas' parts, every record learned so far computed. */
  public List<SlotResult> slotResults() throws Exception {
    finishEpoch();
    List<SlotResult> out = new ArrayList<>();
    for (Map.Entry<Integer, ExpertSlot> e : slots.entrySet()) {
      int expert = e.getKey() / ep.instances();
      int instance = e.getKey() % ep.instances();
      ExpertSlot s = e.getValue();
      out.add(new SlotResult(expert, instance, s.tokens(), s.learned(), s.state()));
    }
    return out;
  }

  /** Mean squared error of the mixture's predictions of every record learned so far. */
  public double mse() throws Exception {
    finishEpoch();
    long n = 0;
    double se = 0;
    for (Combiner c : combiners) {
      n += c.records();
      se += c.squaredError();
    }
    return n == 0 ? 0 : se / n;
  }

  /** {@link Snapshots#digest} of {@link #model()}. */
  public String digest() throws Exception {
    return Snapshots.digest(model());
  }

  private static MixtureOfExperts copy(MixtureOfExperts m) throws SnapshotException {
    return Snapshots.fromBytes(Snapshots.toBytes(m), ModelIo.NO_FUNCTIONS);
  }
}
