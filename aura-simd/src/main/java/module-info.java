/**
 * The Vector API kernels of aura-moe. aura-core loads {@code dev.auramoe.simd.PanamaKernelSupport}
 * by name when {@code jdk.incubator.vector} is present; on the module path add this module to the
 * graph ({@code --add-modules dev.auramoe.simd,jdk.incubator.vector}).
 */
module dev.auramoe.simd {
  requires dev.auramoe.core;
  requires jdk.incubator.vector;
  // Optional: the FMA probe asks HotSpot's diagnostic bean and assumes FMA when it is absent.
  requires static jdk.management;

  exports dev.auramoe.simd;
}
