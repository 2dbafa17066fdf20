package dev.auramoe.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.ExpertChoicePolicy;
import dev.auramoe.routing.policy.NullExpertPolicy;
import dev.auramoe.routing.policy.RoutingPolicy;
import dev.auramoe.routing.policy.RoutingProblem;
import dev.auramoe.routing.policy.SinkhornPolicy;
import dev.auramoe.routing.policy.TopKPolicy;
import dev.auramoe.routing.policy.TopPPolicy;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * From outside the policies' package, every policy answers the interface's methods through its own
 * class, reflection included: a policy that inherits them from a package-private base is reachable
 * only through the public bridges javac writes for methods that are not final.
 */
class PolicyReflectionTest {

  static Stream<RoutingPolicy> policies() {
    return Stream.of(new TopKPolicy(2), new TopKPolicy(2, true), new NullExpertPolicy(2, 1, 0.2f, 1),
        new TopPPolicy(0.7f, 1, 3), new ExpertChoicePolicy(1.0f), new SinkhornPolicy(2, 100, 1e-4));
  }

  @ParameterizedTest
  @MethodSource("policies")
  void theInterfaceMethodsAreReachableThroughThePolicysOwnClass(RoutingPolicy p) throws Exception {
    Class<?> c = p.getClass();
    assertThat(c.getMethod("needsWholeWindow").invoke(p)).isEqualTo(p.needsWholeWindow());
    assertThat(c.getMethod("name").invoke(p)).isEqualTo(p.name());
    RoutingProblem problem = new RoutingProblem().set(2, 4, new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.4f, 0.3f, 0.2f,
        0.1f}, null, null);
    Assignment a = new Assignment();
    c.getMethod("route", RoutingProblem.class, Assignment.class).invoke(p, problem, a);
    assertThat(a.tokens()).isEqualTo(2);
  }
}
