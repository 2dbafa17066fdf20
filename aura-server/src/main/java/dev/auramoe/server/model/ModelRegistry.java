package dev.auramoe.server.model;

import dev.auramoe.server.ApiException;
import dev.auramoe.server.ServerLimits;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The server's named models. Thread-safe: creation, lookup and removal may race freely; a request
 * that looked a model up before it was removed finishes on the removed model.
 */
public final class ModelRegistry implements AutoCloseable {

  private final ConcurrentMap<String, ModelEntry> models = new ConcurrentHashMap<>();
  private final ServerLimits limits;
  private final Object createLock = new Object();

  /**
   * An empty registry.
   *
   * @param limits the model count and size limits
   */
  public ModelRegistry(ServerLimits limits) {
    this.limits = limits;
  }

  /**
   * Validates a spec, builds its model and registers it.
   *
   * @throws ApiException 400 for a bad spec, 409 for a taken name or when the registry is full
   */
  public ModelEntry create(ModelSpec spec) {
    spec.validate(limits);
    synchronized (createLock) {
      if (models.containsKey(spec.name())) {
        throw ApiException.conflict("model '" + spec.name() + "' already exists");
      }
      if (models.size() >= limits.maxModels()) {
        throw ApiException.conflict("the server holds " + limits.maxModels() + " models, its limit; delete one first");
      }
      ModelEntry e;
      try {
        e = new ModelEntry(spec, spec.build());
      } catch (IllegalArgumentException ex) {
        throw ApiException.badRequest("invalid model configuration: " + ex.getMessage());
      }
      models.put(spec.name(), e);
      return e;
    }
  }

  /**
   * The model with a name.
   *
   * @throws ApiException 404 when there is none
   */
  public ModelEntry get(String name) {
    ModelEntry e = models.get(name);
    if (e == null) {
      throw ApiException.notFound("unknown model '" + name + "'");
    }
    return e;
  }

  /**
   * Removes a model and closes it.
   *
   * @throws ApiException 404 when there is none
   */
  public void remove(String name) {
    ModelEntry e = models.remove(name);
    if (e == null) {
      throw ApiException.notFound("unknown model '" + name + "'");
    }
    e.model().close();
  }

  /** Every model, by name. */
  public List<ModelEntry> list() {
    return models.values().stream().sorted(Comparator.comparing(ModelEntry::name)).toList();
  }

  /** Number of models. */
  public int size() {
    return models.size();
  }

  /** Closes every model. */
  @Override
  public void close() {
    for (ModelEntry e : models.values()) {
      e.model().close();
    }
    models.clear();
  }
}
