package org.lbfgsbeam.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.objective.LinearModelObjective;
import org.lbfgsbeam.core.objective.SoftmaxObjective;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.testing.SharedData;

/** {@link JitWarmUp}: it runs real L-BFGS evaluations, stops when told, and changes no run's bits. */
class JitWarmUpTest {

  @Test
  void runsEvaluationsUntilClosedWithoutFailing() throws Exception {
    JitWarmUp warmUp = JitWarmUp.start(data -> new SoftmaxObjective(data, 1e-4, 2),
        LbfgsOptions.defaults(), JitWarmUp.MAX_CLASSES);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (warmUp.evaluations() < 50 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    warmUp.close();
    int atClose = warmUp.evaluations();
    assertNull(warmUp.failure(), () -> "failed: " + warmUp.failure());
    assertTrue(atClose >= 50, "evaluations: " + atClose);
    assertTrue(atClose <= JitWarmUp.MAX_EVALUATIONS, "evaluations: " + atClose);
    Thread.sleep(20);
    assertEquals(atClose, warmUp.evaluations(), "evaluations after close");
    assertTrue(warmUp.toString().startsWith("warm-up: " + atClose + " evaluations, stopped at "),
        warmUp.toString());
  }

  /** Left alone, it stops by itself after MAX_EVALUATIONS (several short runs from the start). */
  @Test
  void stopsByItselfAfterItsBudget() throws Exception {
    JitWarmUp warmUp = JitWarmUp.start(data -> new LinearModelObjective(data,
        LinearModelObjective.Loss.LOGISTIC, 1e-3, 2), LbfgsOptions.defaults().withHistory(3), 2);
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (!warmUp.toString().contains("stopped") && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    warmUp.close();
    assertNull(warmUp.failure(), () -> "failed: " + warmUp.failure());
    assertEquals(JitWarmUp.MAX_EVALUATIONS, warmUp.evaluations());
  }

  /** A run beside a warm-up ends on the bits of a run alone: nothing is shared. */
  @Test
  void aRunBesideTheWarmUpHasTheBitsOfARunAlone() throws Exception {
    SparseDataset data = SharedData.dataset("synth-small.libsvm");
    LbfgsOptions options = LbfgsOptions.defaults().withGradientTolerance(1e-9);
    SoftmaxObjective alone = new SoftmaxObjective(data, 1e-4, 2);
    LbfgsResult expected = Lbfgs.minimize(alone, SharedData.zeroStart(alone.partitioning()),
        options, 2, state -> { });
    LbfgsResult beside;
    try (JitWarmUp warmUp = JitWarmUp.start(d -> new SoftmaxObjective(d, 1e-4, 2), options,
        JitWarmUp.MAX_CLASSES)) {
      SoftmaxObjective objective = new SoftmaxObjective(data, 1e-4, 2);
      beside = Lbfgs.minimize(objective, SharedData.zeroStart(objective.partitioning()), options, 2,
          state -> { });
    }
    assertEquals(expected.value(), beside.value());
    assertArrayEquals(expected.x(), beside.x());
  }
}
