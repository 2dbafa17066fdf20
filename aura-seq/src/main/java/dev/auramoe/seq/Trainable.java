package dev.auramoe.seq;

import java.util.List;

/** Something with trainable parameters: a layer or a model of layers. */
public interface Trainable {

  /** The parameters, in a fixed order (the optimiser's state and a saved model follow it). */
  List<Parameter> parameters();

  /** Sets every parameter's gradient to zero: call before each backward pass. */
  default void zeroGradients() {
    // Indexed: no iterator per call on the training loop's path.
    List<Parameter> ps = parameters();
    for (int i = 0; i < ps.size(); i++) {
      ps.get(i).zeroGradient();
    }
  }

  /** The number of trainable floats. */
  default long parameterCount() {
    long n = 0;
    for (Parameter p : parameters()) {
      n += p.size();
    }
    return n;
  }
}
