package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.LocalVariableInfo;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A reflection sweep over every public method of {@link MixtureOfExperts} that takes a
 * {@code float[] x}: each must reject a non-finite or wrongly sized x with an
 * IllegalArgumentException that names "input x", without changing the model. Parameter names come
 * from the class file's LocalVariableTable (aura-core is compiled with debug information, not with
 * -parameters). The sweep counts what it checked, so a new method joins it automatically and a
 * lost one is noticed.
 */
class NonFiniteInputSweepTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  /** Parameter names of every method, by name + descriptor, from the LocalVariableTable. */
  private static Map<String, List<String>> parameterNames() throws Exception {
    byte[] bytes;
    try (InputStream in = MixtureOfExperts.class.getResourceAsStream("MixtureOfExperts.class")) {
      bytes = in.readAllBytes();
    }
    ClassModel cm = ClassFile.of().parse(bytes);
    Map<String, List<String>> names = new HashMap<>();
    for (MethodModel mm : cm.methods()) {
      boolean isStatic = (mm.flags().flagsMask() & ClassFile.ACC_STATIC) != 0;
      var params = mm.methodTypeSymbol().parameterList();
      var code = mm.code();
      if (code.isEmpty()) {
        continue;
      }
      var table = code.get().findAttribute(Attributes.localVariableTable());
      if (table.isEmpty()) {
        if (params.isEmpty()) {
          continue; // javac writes no table for a method without locals
        }
        fail("aura-core was compiled without a LocalVariableTable; the sweep cannot name parameters");
      }
      Map<Integer, String> bySlot = new HashMap<>();
      for (LocalVariableInfo v : table.get().localVariables()) {
        if (v.startPc() == 0) {
          bySlot.put(v.slot(), v.name().stringValue());
        }
      }
      List<String> list = new ArrayList<>();
      int slot = isStatic ? 0 : 1;
      for (var p : params) {
        list.add(bySlot.get(slot));
        slot += p.descriptorString().equals("J") || p.descriptorString().equals("D") ? 2 : 1;
      }
      names.put(mm.methodName().stringValue() + mm.methodType().stringValue(), list);
    }
    return names;
  }

  private static String key(Method m) {
    return m.getName() + MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString();
  }

  private static MixtureOfExperts model() {
    MixtureOfExperts m = MixtureOfExperts.builder(3, 2).experts(Experts.nlms("e", 3, 3, 2, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(6)).attention(AttentionConfig.of(50)).build();
    for (int t = 0; t < 5; t++) {
      m.learn(S, new float[] {t, 2, 1}, new float[] {1, -1});
    }
    return m;
  }

  private static Object argument(Class<?> type, String name, float[] badX, MixtureOfExperts m) {
    if (type == String.class) {
      return S;
    }
    if (type == float[].class) {
      return switch (name) {
        case "x" -> badX.clone();
        case "y" -> new float[] {0.5f, -0.5f};
        case "yHat" -> new float[2];
        case "h" -> new float[m.hidden()];
        case "delta" -> new float[m.expertCount()];
        default -> throw new AssertionError("unknown float[] parameter '" + name + "'");
      };
    }
    if (type == float.class && "elapsed".equals(name)) {
      return Float.NaN;
    }
    if (type == int[].class && "tokens".equals(name)) {
      return new int[] {1, 2};
    }
    if (type == double.class && "maxChange".equals(name)) {
      return 1.0;
    }
    if (type == RouteBuffer.class) {
      return m.newRouteBuffer();
    }
    throw new AssertionError("the sweep does not know how to fill " + type.getSimpleName() + " " + name);
  }

  @Test
  void everyPublicMethodTakingXRejectsBadXWithoutChangingTheModel() throws Exception {
    Map<String, List<String>> names = parameterNames();
    MixtureOfExperts m = model();
    float[][] badInputs = {{1, 2, Float.NaN}, {Float.POSITIVE_INFINITY, 0, 0}, {0, Float.NEGATIVE_INFINITY, 0}, {1, 2}, {1, 2, 3, 4}};
    TreeSet<String> checkedMethods = new TreeSet<>();
    int checkedCalls = 0;
    for (Method method : MixtureOfExperts.class.getDeclaredMethods()) {
      if (!Modifier.isPublic(method.getModifiers()) || method.isSynthetic()) {
        continue;
      }
      List<String> params = names.get(key(method));
      assertThat(params).as("parameter names of %s", method).isNotNull();
      int xAt = -1;
      for (int i = 0; i < params.size(); i++) {
        if (method.getParameterTypes()[i] == float[].class && "x".equals(params.get(i))) {
          xAt = i;
        }
      }
      if (xAt < 0) {
        continue;
      }
      for (float[] badX : badInputs) {
        Object[] args = new Object[params.size()];
        for (int i = 0; i < args.length; i++) {
          args[i] = argument(method.getParameterTypes()[i], params.get(i), badX, m);
        }
        String digest = m.digest();
        var last = m.lastCallEnergy();
        try {
          method.invoke(Modifier.isStatic(method.getModifiers()) ? null : m, args);
          fail(method + " accepted x = " + java.util.Arrays.toString(badX));
        } catch (InvocationTargetException e) {
          assertThat(e.getCause()).as("%s with x = %s", method, java.util.Arrays.toString(badX))
              .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input x");
        }
        m.awaitLearning();
        assertThat(m.digest()).as("%s changed the model", method).isEqualTo(digest);
        assertThat(m.lastCallEnergy()).isEqualTo(last);
        checkedCalls++;
      }
      checkedMethods.add(method.getName() + java.util.Arrays.toString(method.getParameterTypes()).replace("class ", ""));
    }
    // route x3, predict x3, learn x4 (the last with elapsed time and tokens), learnAsync, timeConstants,
    // teachRouter
    assertThat(checkedMethods).as("%s", checkedMethods).hasSize(13);
    assertThat(checkedMethods.stream().map(s -> s.substring(0, s.indexOf('['))).distinct())
        .containsExactlyInAnyOrder("route", "predict", "learn", "learnAsync", "timeConstants", "teachRouter");
    assertThat(checkedCalls).isEqualTo(13 * badInputs.length);
  }
}
