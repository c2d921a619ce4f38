package org.lbfgsbeam.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lbfgsbeam.core.objective.SoftmaxObjective;
import org.lbfgsbeam.core.optim.DirectionMethod;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * {@link LocalExecutor#heldVectors} and {@link LocalExecutor#restore}: an executor restored from a
 * copy of the vectors held after superstep k, with the state after superstep k, continues to the
 * same bits as the executor that was never stopped, from every k (mid line search, right after a
 * commit, with the history full and not).
 */
class LocalExecutorCheckpointTest {

  /** The state after each superstep of an uninterrupted run, and the held vectors then (copied). */
  record Trace(List<LbfgsState> states, List<Map<String, double[][]>> vectors, double[] x) {}

  static Trace run(SoftmaxObjective objective, LbfgsCoordinator coordinator, LbfgsState from,
      LocalExecutor executor) throws Exception {
    List<LbfgsState> states = new ArrayList<>();
    List<Map<String, double[][]>> vectors = new ArrayList<>();
    LbfgsState state = from;
    while (!state.finished()) {
      state = coordinator.advance(state, executor.execute(state.pending()));
      executor.retain(state);
      states.add(state);
      vectors.add(deepCopy(executor.heldVectors()));
    }
    double[][] x = executor.point(state.xId());
    return new Trace(states, vectors, org.lbfgsbeam.core.optim.Lbfgs.concatenate(x));
  }

  static Map<String, double[][]> deepCopy(Map<String, double[][]> vectors) {
    Map<String, double[][]> copy = new TreeMap<>();
    for (Map.Entry<String, double[][]> e : vectors.entrySet()) {
      double[][] v = new double[e.getValue().length][];
      for (int b = 0; b < v.length; b++) {
        v[b] = e.getValue()[b].clone();
      }
      copy.put(e.getKey(), v);
    }
    return copy;
  }

  @ParameterizedTest
  @EnumSource(DirectionMethod.class)
  void restoreThenContinueEqualsContinue(DirectionMethod method) throws Exception {
    SoftmaxObjective objective = new SoftmaxObjective(SharedData.dataset("heart_scale.libsvm"),
        1e-4, 2);
    LbfgsOptions options = LbfgsOptions.defaults().withDirectionMethod(method)
        .withMaxIterations(12).withGradientTolerance(0).withProgressTolerance(0);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    Trace whole;
    try (LocalExecutor executor = new LocalExecutor(objective,
        SharedData.zeroStart(objective.partitioning()), 2)) {
      whole = run(objective, coordinator, coordinator.start(), executor);
    }
    int supersteps = whole.states().size();
    assertTrue(supersteps > 12, "supersteps: " + supersteps);
    for (int k = 0; k < supersteps - 1; k++) {
      LbfgsState at = whole.states().get(k);
      Trace rest;
      try (LocalExecutor restored = LocalExecutor.restore(objective,
          deepCopy(whole.vectors().get(k)), 1)) {
        rest = run(objective, coordinator, at, restored);
      }
      String where = method + ", restored after superstep " + k;
      assertArrayEquals(whole.x(), rest.x(), where);
      LbfgsState end = rest.states().get(rest.states().size() - 1);
      LbfgsState wholeEnd = whole.states().get(supersteps - 1);
      assertEquals(Double.doubleToLongBits(wholeEnd.value()), Double.doubleToLongBits(end.value()),
          where);
      assertEquals(wholeEnd.evaluations(), end.evaluations(), where);
      assertEquals(supersteps - k - 1, rest.states().size(), where);
    }
  }

  /** Held vectors are named as the file-based runners store them, and only live ones are held. */
  @Test
  void heldVectorsAreTheLiveOnesByTheirStoredNames() throws Exception {
    SoftmaxObjective objective = new SoftmaxObjective(SharedData.dataset("heart_scale.libsvm"),
        1e-4, 2);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(LbfgsOptions.defaults()
        .withMaxIterations(6).withGradientTolerance(0).withProgressTolerance(0));
    try (LocalExecutor executor = new LocalExecutor(objective,
        SharedData.zeroStart(objective.partitioning()), 1)) {
      Trace t = run(objective, coordinator, coordinator.start(), executor);
      LbfgsState state = t.states().get(6);
      Map<String, double[][]> held = t.vectors().get(6);
      assertTrue(held.containsKey("x-" + state.xId()), held.keySet().toString());
      assertTrue(held.containsKey("zx-" + state.xId()), held.keySet().toString());
      for (long pair : state.pairIds()) {
        assertTrue(held.containsKey("s-" + pair) && held.containsKey("y-" + pair),
            held.keySet().toString());
      }
      for (String name : held.keySet()) {
        assertTrue(name.matches("(x|g|d|s|y|zx|zd)-\\d+"), name);
      }
    }
  }

  @Test
  void restoreRefusesWhatIsNotAVector() {
    SoftmaxObjective objective = new SoftmaxObjective(SharedData.dataset("heart_scale.libsvm"),
        1e-4, 2);
    double[][] x = SharedData.zeroStart(objective.partitioning());
    IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
        () -> LocalExecutor.restore(objective, Map.of("q-3", x), 1));
    assertEquals("not a vector name: q-3", name.getMessage());
    IllegalArgumentException blocks = assertThrows(IllegalArgumentException.class,
        () -> LocalExecutor.restore(objective, Map.of("x-3", new double[][] {x[0]}), 1));
    assertEquals("vector x-3 has 1 blocks, but the partitioning has 2", blocks.getMessage());
  }
}
