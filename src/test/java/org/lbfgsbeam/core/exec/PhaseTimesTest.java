package org.lbfgsbeam.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.objective.SoftmaxObjective;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsDriver;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * {@link PhaseTimes}: the steady median leaves out the first calls; the executor names its phases.
 */
class PhaseTimesTest {

  @Test
  void steadyMedianLeavesOutTheFirstCalls() {
    PhaseTimes times = new PhaseTimes();
    for (long ms : new long[] {900, 800, 700, 600, 500, 3, 1, 2, 4}) {
      times.record("gram", ms * 1_000_000);
    }
    // Calls 6 to 9 are 3, 1, 2, 4 ms: the median of an even count is the mean of the middle two.
    assertEquals(0.0025, times.steadyMedianSeconds("gram"), 1e-15);
    times.record("gram", 5_000_000);
    assertEquals(0.003, times.steadyMedianSeconds("gram"), 1e-15);
    assertTrue(Double.isNaN(times.steadyMedianSeconds("slope")));
    times.record("slope", 1_000_000);
    assertTrue(Double.isNaN(times.steadyMedianSeconds("slope")), "fewer calls than STEADY_FROM");
    assertEquals(List.of(1_000_000L), times.calls("slope"));
    String summary = times.summary();
    assertTrue(summary.contains("gram"), summary);
    assertTrue(summary.lines().anyMatch(l -> l.matches("gram\\s+10\\s+3\\.00\\s+3515\\.0")),
        summary);
    assertTrue(summary.lines().anyMatch(l -> l.matches("slope\\s+1\\s+-\\s+1\\.0")), summary);
  }

  /** A timed run names every phase of a vector-free iteration, and its bits do not change. */
  @Test
  void localExecutorTimesItsPhasesWithoutChangingTheBits() throws Exception {
    SoftmaxObjective objective = new SoftmaxObjective(SharedData.dataset("synth-small.libsvm"),
        1e-4, 2);
    LbfgsOptions options = LbfgsOptions.defaults().withGradientTolerance(1e-9)
        .withProgressTolerance(0);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    PhaseTimes times = new PhaseTimes();
    double[] timed;
    double[] plain;
    try (LocalExecutor executor = LocalExecutor.fromObjectiveStart(objective, 2)) {
      executor.timePhases(times);
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor,
          IterationListener.none());
      timed = executor.point(end.xId())[1].clone();
    }
    try (LocalExecutor executor = LocalExecutor.fromObjectiveStart(objective, 2)) {
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor,
          IterationListener.none());
      plain = executor.point(end.xId())[1].clone();
    }
    assertTrue(java.util.Arrays.equals(plain, timed));
    for (String phase : List.of("margins", "statistics", "gradient", "commit", "gram",
        "direction", "direction margins", "slope")) {
      assertTrue(!times.calls(phase).isEmpty(), phase + " not timed: " + times.summary());
    }
    assertTrue(times.calls("gram").size() >= 20, times.summary());
    assertTrue(times.calls("commit margins").isEmpty(),
        "every commit here takes the trial's margins: " + times.summary());
  }
}
