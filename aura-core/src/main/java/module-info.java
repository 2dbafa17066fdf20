/**
 * aura-moe's core: the public API of the liquid-gated mixture of experts and its scalar kernels.
 *
 * <p>Every package is exported except two that are not API: {@code dev.auramoe.engine}, the engine
 * behind the {@code MixtureOfExperts} facade, and {@code dev.auramoe.internal.vector}, the kernel SPI,
 * open only to aura-simd, which implements it with the Vector API, and to aura-seq and aura-snn, which
 * train their layers on it. The module reads nothing beyond {@code java.base} and {@code java.logging}. On the class path (how {@code ./aura} and the tests
 * run) this descriptor is ignored and the jar behaves as before.
 */
// "module": aura-simd, aura-seq and aura-snn, the targets of the qualified export, are built after this module.
@SuppressWarnings("module")
module dev.auramoe.core {
  requires java.logging;

  exports dev.auramoe;
  exports dev.auramoe.balance;
  exports dev.auramoe.cell;
  exports dev.auramoe.energy;
  exports dev.auramoe.experts;
  exports dev.auramoe.feedback;
  exports dev.auramoe.io;
  exports dev.auramoe.math;
  exports dev.auramoe.routing;
  exports dev.auramoe.routing.diagnostics;
  exports dev.auramoe.routing.policy;
  exports dev.auramoe.spiking;

  // aura-seq trains its layers on the same kernels (it is on the class path today; the qualified
  // export keeps the package closed to everyone else when it becomes a named module).
  exports dev.auramoe.internal.vector to dev.auramoe.simd, dev.auramoe.seq, dev.auramoe.snn;
}
