package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;

/** Test stream: every instance has all inputs equal to {@code tag}, the target class 0; infinite. */
final class TagStream implements InstanceStream {

  private final Schema schema;
  private final double tag;
  long produced;

  TagStream(Schema schema, double tag) {
    this.schema = schema;
    this.tag = tag;
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public boolean next(Instance into) {
    double[] v = into.values();
    for (int i = 0; i < v.length; i++) {
      v[i] = i == schema.targetIndex() ? 0 : tag;
    }
    produced++;
    return true;
  }
}
