package dev.auramoe.engine;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A field-by-field comparison of two models' object graphs, from their {@link ModelState} down
 * through every object of aura-moe's own classes, that knows every field it meets: each is either
 * state (compared, bit for bit) or named below as not state, with the reason. A field it does not
 * know is reported whatever its value, so that a field added anywhere in the graph fails the tests
 * that use it until it is declared in {@link ModelState} (or {@link StreamState}) and listed as
 * state here, or listed as not state with a reason.
 */
final class StateGraph {

  /**
   * Fields that are state, as {@code DeclaringClass.field}: compared. The components of records
   * (the configurations) are compared without being listed. The shapes (sizes, counts, flags fixed at
   * build) are listed here too: they are cheap to compare and must match.
   */
  static final Set<String> STATE = Set.of(
      "ModelState.in", "ModelState.out", "ModelState.hidden", "ModelState.topK", "ModelState.experts",
      "ModelState.cell", "ModelState.router", "ModelState.pool", "ModelState.balancer", "ModelState.meter",
      "ModelState.streams", "ModelState.temperature", "ModelState.routerLearningRate", "ModelState.errorScale",
      "ModelState.learnSteps",
      "LiquidCell.config", "LiquidCell.in", "LiquidCell.hidden", "LiquidCell.width", "LiquidCell.proj",
      "LiquidCell.wt", "LiquidCell.b", "LiquidCell.c",
      "Router.cell", "Router.in", "Router.hidden", "Router.experts", "Router.usesInput", "Router.recentWeight",
      "Router.extraOffset",
      "Router.readout", "Router.bias",
      "ExpertPool.experts", "ExpertPool.out",
      "AbstractExpert.name", "AbstractExpert.in", "AbstractExpert.out",
      "NormalisedLinearExpert.mu", "NormalisedLinearExpert.eps", "NormalisedLinearExpert.leak",
      "NormalisedLinearExpert.w",
      "RlsExpert.n", "RlsExpert.lambda", "RlsExpert.delta", "RlsExpert.w", "RlsExpert.p", "RlsExpert.resets",
      "FunctionExpert.macs",
      "LoadBalancer.experts", "LoadBalancer.config", "LoadBalancer.bias", "LoadBalancer.load",
      "LoadBalancer.counts", "LoadBalancer.tokens", "LoadBalancer.biasUpdates",
      "EnergyMeter.cumulative", "EnergyMeter.tokens", "EnergyMeter.profile",
      "DeviceProfile.name", "DeviceProfile.picojoulesPerMac", "DeviceProfile.basis",
      "Streams.hidden", "Streams.recentExperts", "Streams.expertSet", "Streams.attention", "Streams.byId",
      "StreamState.id", "StreamState.h", "StreamState.recent", "StreamState.attention", "StreamState.routes",
      "SpikingAttention.config", "SpikingAttention.ids", "SpikingAttention.acc", "SpikingAttention.size",
      "SpikingAttention.winners", "SpikingAttention.winnerValues", "SpikingAttention.winnerCount",
      "SpikingAttention.focus", "SpikingAttention.steps");

  /** Fields that are not state, as {@code DeclaringClass.field}, with the reason. */
  static final Map<String, String> NOT_STATE = Map.ofEntries(
      Map.entry("ModelState.config", "the configuration as built; the live one (liveConfig()), which snapshots"
          + " and expert-set changes keep, is compared instead"),
      Map.entry("ModelState.k", "the kernels of this JVM"),
      Map.entry("LiquidCell.k", "the kernels of this JVM"),
      Map.entry("LiquidCell.packed", "derived from proj (its U and V columns as bf16)"),
      Map.entry("LiquidCell.extraW", "derived from proj (its extra columns, input-major)"),
      Map.entry("LiquidCell.before", "scratch of one step"),
      Map.entry("LiquidCell.invTau", "scratch of one step"),
      Map.entry("LiquidCell.drive", "scratch of one step"),
      Map.entry("LiquidCell.drives", "scratch of a many-stream step"),
      Map.entry("LiquidCell.invTaus", "scratch of a many-stream step"),
      Map.entry("ExpertPool.adaptive", "the same expert objects as experts, those that learn"),
      Map.entry("ExpertPool.outputs", "scratch of one route: each chosen expert's prediction"),
      Map.entry("ExpertPool.spare", "scratch of one learn: the prediction of an expert that was not chosen"),
      Map.entry("NormalisedLinearExpert.k", "the kernels of this JVM"),
      Map.entry("NormalisedLinearExpert.before", "scratch of one guarded update"),
      Map.entry("RlsExpert.z", "scratch of one update"),
      Map.entry("RlsExpert.pz", "scratch of one update"),
      Map.entry("FunctionExpert.f", "code, supplied by the expert's name when a snapshot is loaded"),
      Map.entry("EnergyMeter.lastCall", "the figures of the last call only, cleared at the next"),
      Map.entry("EnergyMeter.lastCallTokens", "the figures of the last call only, cleared at the next"),
      Map.entry("EnergyMeter.windows", "a caller's open measurement windows over the counters, which snapshot"
          + " format v1 does not hold"),
      Map.entry("Streams.sorted", "an index of byId's keys"),
      Map.entry("Streams.oldest", "recency bookkeeping, not state (see Streams)"),
      Map.entry("Streams.newest", "recency bookkeeping, not state (see Streams)"),
      Map.entry("Streams.clock", "recency bookkeeping, not state (see Streams)"),
      Map.entry("Streams.limits", "the bound on the streams: a setting of the running model, not state"),
      Map.entry("Streams.stampRoutes", "derived from limits"),
      Map.entry("Streams.listener", "a callback of the running model"),
      Map.entry("Streams.evicted", "a count of the running model's evictions, not state (see Streams)"),
      Map.entry("Streams.notifying", "set only while the eviction listener runs"),
      Map.entry("StreamState.stamp", "recency bookkeeping, not state (see Streams)"),
      Map.entry("StreamState.older", "a link of the recency order"),
      Map.entry("StreamState.newer", "a link of the recency order"),
      Map.entry("StreamState.pending", "scratch of a many-stream call"),
      Map.entry("SpikingAttention.table", "an index of ids, rebuilt from them"));

  /**
   * Array fields of which only a prefix is state: the field naming its length in use (the rest is
   * spare capacity or left over from earlier use).
   */
  static final Map<String, String> PREFIX = Map.of(
      "SpikingAttention.ids", "size", "SpikingAttention.acc", "size",
      "SpikingAttention.winners", "winnerCount", "SpikingAttention.winnerValues", "winnerCount");

  private final List<String> differences = new ArrayList<>();
  private final Set<String> unknown = new TreeSet<>();
  private final IdentityHashMap<Object, Object> seen = new IdentityHashMap<>();

  private StateGraph() {}

  /** The differences between two graphs and the fields neither listed as state nor as not state; empty when none. */
  static List<String> compare(Object a, Object b) {
    StateGraph g = new StateGraph();
    if (a instanceof ModelState ma && b instanceof ModelState mb) {
      g.walk("state.liveConfig()", ma.liveConfig(), mb.liveConfig());
    }
    g.walk("state", a, b);
    List<String> all = new ArrayList<>();
    for (String f : g.unknown) {
      all.add("field " + f + " is neither listed as state (declare it in ModelState or StreamState) nor as not state");
    }
    all.addAll(g.differences);
    return all;
  }

  private void walk(String path, Object a, Object b) {
    if (a == null || b == null) {
      if (a != b) {
        differences.add(path + ": " + a + " vs " + b);
      }
      return;
    }
    if (a.getClass() != b.getClass()) {
      differences.add(path + ": " + a.getClass().getName() + " vs " + b.getClass().getName());
      return;
    }
    Class<?> c = a.getClass();
    if (c.isArray()) {
      array(path, a, b, -1);
    } else if (a instanceof Float f) {
      same(path, Float.floatToIntBits(f) == Float.floatToIntBits((Float) b), a, b);
    } else if (a instanceof Double d) {
      same(path, Double.doubleToLongBits(d) == Double.doubleToLongBits((Double) b), a, b);
    } else if (a instanceof Number || a instanceof Boolean || a instanceof Character || a instanceof String
        || a instanceof Enum<?>) {
      same(path, a.equals(b), a, b);
    } else if (a instanceof Map<?, ?> ma) {
      Map<?, ?> mb = (Map<?, ?>) b;
      if (!same(path + " keys", List.copyOf(ma.keySet()).equals(List.copyOf(mb.keySet())), ma.keySet(),
          mb.keySet())) {
        return;
      }
      for (Map.Entry<?, ?> e : ma.entrySet()) {
        walk(path + "[" + e.getKey() + "]", e.getValue(), mb.get(e.getKey()));
      }
    } else if (a instanceof Collection<?> ca) {
      Collection<?> cb = (Collection<?>) b;
      if (!same(path + " size", ca.size() == cb.size(), ca.size(), cb.size())) {
        return;
      }
      Iterator<?> ib = cb.iterator();
      int i = 0;
      for (Object o : ca) {
        walk(path + "[" + i++ + "]", o, ib.next());
      }
    } else if (c.getName().startsWith("dev.auramoe.") && !c.isSynthetic() && !c.isHidden()) {
      if (seen.put(a, b) != null) {
        return;
      }
      fields(path, a, b);
    } else {
      unknown.add(path + " of type " + c.getName());
    }
  }

  private void fields(String path, Object a, Object b) {
    for (Class<?> c = a.getClass(); c != null && c.getName().startsWith("dev.auramoe."); c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) {
          continue;
        }
        String name = c.getSimpleName() + "." + f.getName();
        if (NOT_STATE.containsKey(name)) {
          continue;
        }
        if (!STATE.contains(name) && !c.isRecord()) {
          // Reported, and compared all the same, so that one run lists the unknown fields below it too.
          unknown.add(name);
        }
        f.setAccessible(true);
        try {
          String p = path + "." + f.getName();
          String length = PREFIX.get(name);
          if (length != null) {
            Field l = c.getDeclaredField(length);
            l.setAccessible(true);
            array(p, f.get(a), f.get(b), l.getInt(a));
          } else {
            walk(p, f.get(a), f.get(b));
          }
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(name, e);
        }
      }
    }
  }

  /** Compares arrays, their first {@code n} elements when {@code n >= 0}. */
  private void array(String path, Object a, Object b, int n) {
    if (n < 0) {
      int la = java.lang.reflect.Array.getLength(a);
      if (!same(path + " length", la == java.lang.reflect.Array.getLength(b), la,
          java.lang.reflect.Array.getLength(b))) {
        return;
      }
      n = la;
    }
    boolean equal = switch (a) {
      case float[] x -> Arrays.equals(x, 0, n, (float[]) b, 0, n);
      case double[] x -> Arrays.equals(x, 0, n, (double[]) b, 0, n);
      case int[] x -> Arrays.equals(x, 0, n, (int[]) b, 0, n);
      case long[] x -> Arrays.equals(x, 0, n, (long[]) b, 0, n);
      case boolean[] x -> Arrays.equals(x, 0, n, (boolean[]) b, 0, n);
      case byte[] x -> Arrays.equals(x, 0, n, (byte[]) b, 0, n);
      case Object[] x -> {
        for (int i = 0; i < n; i++) {
          walk(path + "[" + i + "]", x[i], ((Object[]) b)[i]);
        }
        yield true;
      }
      default -> throw new AssertionError("array of " + a.getClass().getComponentType() + " at " + path);
    };
    if (!equal) {
      differences.add(path + ": the first " + n + " elements differ");
    }
  }

  private boolean same(String path, boolean same, Object a, Object b) {
    if (!same) {
      differences.add(path + ": " + a + " vs " + b);
    }
    return same;
  }
}
