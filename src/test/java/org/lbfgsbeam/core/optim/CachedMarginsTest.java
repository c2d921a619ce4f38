package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.LinearModelObjective;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.objective.Rosenbrock;
import org.lbfgsbeam.core.objective.SoftmaxObjective;
import org.lbfgsbeam.core.optim.Superstep.Direction;
import org.lbfgsbeam.core.partition.Partitioning;
import org.lbfgsbeam.core.testing.GradientTester;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * Line-search trials evaluated from cached margins: no data pass for a trial, the gradient pass only
 * where the line search may keep the trial, a forced re-evaluation when it falls back to a trial
 * without one, and the count of data passes ({@link LbfgsCoordinator#dataPasses}) checked against the
 * objective's own calls.
 */
class CachedMarginsTest {

  /** Delegates to an objective and counts the calls that read the data, block by block. */
  static final class Counting implements PartitionedObjective {
    private final PartitionedObjective inner;
    final AtomicInteger margins = new AtomicInteger();
    final AtomicInteger gradients = new AtomicInteger();

    Counting(PartitionedObjective inner) {
      this.inner = inner;
    }

    /** Data passes so far: calls that read the data, over the number of blocks. */
    int passes() {
      int blocks = inner.partitioning().blocks();
      assertEquals(0, margins.get() % blocks, "margins of every block");
      assertEquals(0, gradients.get() % blocks, "gradients of every block");
      return margins.get() / blocks + gradients.get() / blocks;
    }

    @Override
    public Partitioning partitioning() {
      return inner.partitioning();
    }

    @Override
    public double[] margins(int block, double[] weights) {
      margins.incrementAndGet();
      return inner.margins(block, weights);
    }

    @Override
    public double[] partialStatistics(int block, double[] m) {
      return inner.partialStatistics(block, m);
    }

    @Override
    public CombinedStatistics combine(double[][] partials) {
      return inner.combine(partials);
    }

    @Override
    public double gradient(int block, double[] weights, double[] m, double[] broadcast,
        double[] gradient) {
      gradients.incrementAndGet();
      return inner.gradient(block, weights, m, broadcast, gradient);
    }

    @Override
    public boolean linearMargins() {
      return inner.linearMargins();
    }

    @Override
    public double valueShare(int block, double[] weights, double[] m, double[] broadcast) {
      return inner.valueShare(block, weights, m, broadcast);
    }

    @Override
    public double directionalDerivative(int block, double[] weights, double[] m, double[] md,
        double[] broadcast, double[] direction) {
      return inner.directionalDerivative(block, weights, m, md, broadcast, direction);
    }
  }

  /** A run's supersteps with their results, its end state and final point. */
  record Run(List<Superstep> steps, List<SuperstepResult> results, LbfgsState end,
      double[][] x) {
    /** Ids of the evaluations the run moved to. */
    Set<Long> committed() {
      Set<Long> ids = new HashSet<>();
      for (Superstep s : steps) {
        if (s.commit() != null) {
          ids.add(s.commit().evaluationId());
        }
      }
      return ids;
    }
  }

  static Run run(PartitionedObjective objective, LbfgsOptions options, int threads)
      throws Exception {
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    List<Superstep> steps = new ArrayList<>();
    List<SuperstepResult> results = new ArrayList<>();
    try (LocalExecutor executor = new LocalExecutor(objective,
        SharedData.zeroStart(objective.partitioning()), threads)) {
      LbfgsState s = coordinator.start();
      while (!s.finished()) {
        steps.add(s.pending());
        SuperstepResult r = executor.execute(s.pending());
        results.add(r);
        s = coordinator.advance(s, r);
        executor.retain(s);
      }
      double[][] x = executor.point(s.xId());
      double[][] copy = new double[x.length][];
      for (int b = 0; b < x.length; b++) {
        copy[b] = x[b].clone();
      }
      return new Run(steps, results, s, copy);
    }
  }

  static SoftmaxObjective synthSmall(double lambda, int blocks) {
    return new SoftmaxObjective(SharedData.dataset("synth-small.libsvm"), lambda, blocks);
  }

  /**
   * synth-small, &lambda; = 1e-4, to convergence: fewer data passes than 2 per evaluation (what every
   * evaluation cost before), the count equal to the objective's own calls, the gradient pass run
   * exactly for the trials the rule admits, and never for a trial the line search rejected.
   */
  @Test
  void rejectedTrialsRunNoGradientPass() throws Exception {
    Counting objective = new Counting(synthSmall(1e-4, 2));
    Run r = run(objective, LbfgsOptions.defaults(), 2);
    LbfgsState end = r.end();
    assertTrue(end.stopReason().converged(), end.stopReason().toString());
    assertTrue(end.linearMargins());
    assertTrue(end.dataPasses() < 2 * end.evaluations(), end.dataPasses() + " data passes for "
        + end.evaluations() + " evaluations");
    assertEquals(objective.passes(), end.dataPasses(), "data passes counted by the coordinator");

    Set<Long> committed = r.committed();
    int withGradient = 0;
    int withoutGradient = 0;
    for (int i = 0; i < r.steps().size(); i++) {
      Superstep step = r.steps().get(i);
      TrialPoint trial = r.results().get(i).trial();
      if (trial == null) {
        continue;
      }
      if (trial.hasGradient()) {
        withGradient++;
      } else {
        withoutGradient++;
        assertTrue(Double.isNaN(trial.gradientMaxAbs()) && Double.isNaN(trial.curvature()));
      }
      if (step.direction() != Direction.NONE && step.gradientRule() != null) {
        assertEquals(step.needsGradient(trial.value(), trial.slope(),
            r.results().get(i).initialSlope()), trial.hasGradient(), "superstep " + i);
        if (!committed.contains(trial.id())) {
          assertFalse(trial.hasGradient(), "superstep " + i + ": rejected trial " + trial.id()
              + " ran its gradient pass");
        }
      }
    }
    assertTrue(withoutGradient > 0, "some trial was evaluated without its gradient");
    assertEquals(objective.gradients.get(), withGradient * 2, "gradient calls (2 blocks)");
  }

  /** The thread count does not change a bit of a cached-margins run. */
  @Test
  void cachedRunsDoNotDependOnTheThreadCount() throws Exception {
    LbfgsOptions options = LbfgsOptions.defaults().withMaxIterations(8);
    Run one = run(synthSmall(1e-4, 5), options, 1);
    Run two = run(synthSmall(1e-4, 5), options, 2);
    assertEquals(one.results().size(), two.results().size());
    for (int i = 0; i < one.results().size(); i++) {
      assertEquals(one.results().get(i).trial(), two.results().get(i).trial(), "superstep " + i);
    }
    for (int b = 0; b < one.x().length; b++) {
      assertTrue(java.util.Arrays.equals(one.x()[b], two.x()[b]), "block " + b);
    }
  }

  /**
   * With one trial per line search, a search whose trial has sufficient decrease but not the
   * curvature condition (the first ones from W = 0 extrapolate) returns that trial without a gradient:
   * the coordinator re-evaluates the same step with the gradient forced, gets the same f and slope,
   * and only then commits it.
   */
  @Test
  void aTrialReturnedWithoutGradientIsReevaluatedBeforeTheCommit() throws Exception {
    Counting objective = new Counting(synthSmall(1e-4, 2));
    Run r = run(objective, LbfgsOptions.defaults().withMaxLineSearchEvaluations(1)
        .withMaxIterations(10), 2);
    int reevaluations = 0;
    for (int i = 1; i < r.steps().size(); i++) {
      Superstep step = r.steps().get(i);
      Superstep before = r.steps().get(i - 1);
      TrialPoint previous = r.results().get(i - 1).trial();
      boolean forced = step.hasTrial() && step.direction() == Direction.KEEP
          && step.gradientRule() == null;
      if (!forced) {
        continue;
      }
      reevaluations++;
      assertNotNull(before.gradientRule());
      assertFalse(previous.hasGradient());
      TrialPoint again = r.results().get(i).trial();
      assertTrue(again.hasGradient());
      assertEquals(previous.step(), again.step(), 0.0);
      assertEquals(previous.value(), again.value(), 0.0, "f, bit for bit");
      assertEquals(previous.slope(), again.slope(), 0.0, "slope, bit for bit");
      assertEquals(previous.id() + 1, again.id(), "a new evaluation");
      Superstep next = r.steps().get(i + 1);
      assertNotNull(next.commit(), "the re-evaluated trial is committed next");
      assertEquals(again.id(), next.commit().evaluationId());
    }
    assertTrue(reevaluations > 0, "no search fell back to a trial without gradient");
    assertEquals(objective.passes(), r.end().dataPasses());
    assertEquals(StopReason.MAX_ITERATIONS, r.end().stopReason());
    assertEquals(r.results().stream().filter(x -> x.trial() != null).count(),
        r.end().evaluations(), "every trial, re-evaluations included, is an evaluation");
  }

  /**
   * A budget of two evaluations: the start point and one trial, which extrapolates (sufficient
   * decrease, slope still steep) and is returned without a gradient; the re-evaluation is the third
   * evaluation, then the run stops with MAX_EVALUATIONS at that trial, whose reported f is f there.
   */
  @Test
  void aBudgetCutSearchIsReevaluatedOnePastTheBudget() throws Exception {
    SoftmaxObjective softmax = synthSmall(1e-4, 2);
    Counting objective = new Counting(softmax);
    Run r = run(objective, LbfgsOptions.defaults().withMaxEvaluations(2), 1);
    LbfgsState end = r.end();
    assertEquals(StopReason.MAX_EVALUATIONS, end.stopReason());
    assertEquals(3, end.evaluations());
    assertEquals(1, end.iteration());
    // x0's margins and gradient, d's margins, the re-evaluation's gradient.
    assertEquals(4, end.dataPasses());
    assertEquals(4, objective.passes());
    TrialPoint cheap = r.results().get(1).trial();
    TrialPoint forced = r.results().get(2).trial();
    assertFalse(cheap.hasGradient());
    assertTrue(forced.hasGradient());
    assertNull(r.steps().get(2).gradientRule());
    double f = GradientTester.evaluate(softmax, r.x(), null);
    assertEquals(f, end.value(), 1e-13 * f, "f from cached margins against f at the point");
  }

  /** Without linear margins every trial is a margins pass and a gradient pass. */
  @Test
  void withoutLinearMarginsEveryEvaluationIsTwoPasses() {
    LbfgsResult r = Lbfgs.minimize(new Rosenbrock(), new double[] {-1.2, 1},
        LbfgsOptions.defaults());
    assertTrue(r.stopReason().converged());
    assertEquals(2 * r.evaluations(), r.dataPasses());
  }

  /**
   * The binary logistic model takes the cached path too and reaches max|g| &le; 1e-7; the gradient
   * recomputed from scratch at the returned point (not from the margins carried along) agrees.
   */
  @Test
  void logisticRegressionOnCachedMargins() throws Exception {
    Counting objective = new Counting(new LinearModelObjective(
        SharedData.dataset("heart_scale.libsvm"), LinearModelObjective.Loss.LOGISTIC, 0.01, 4));
    Run r = run(objective, LbfgsOptions.defaults().withGradientTolerance(1e-7)
        .withProgressTolerance(0), 2);
    assertEquals(StopReason.GRADIENT_TOLERANCE, r.end().stopReason());
    assertTrue(r.end().linearMargins());
    assertEquals(objective.passes(), r.end().dataPasses());
    assertTrue(r.end().dataPasses() <= 2 * r.end().evaluations());
    double[][] g = new double[4][];
    GradientTester.evaluate(objective, r.x(), g);
    for (double[] block : g) {
      for (double v : block) {
        assertTrue(Math.abs(v) < 2e-7, "gradient at the returned point: " + v);
      }
    }
  }

  /**
   * The coordinator alone: a budget-cut search returns a trial without gradient, the re-evaluation is
   * pending, and a re-evaluation whose f is not the same bits is refused.
   */
  @Test
  void aReevaluationWithOtherBitsIsRefused() {
    LbfgsCoordinator c = new LbfgsCoordinator(LbfgsOptions.defaults().withMaxEvaluations(2));
    LbfgsState s = c.advance(c.start(), new SuperstepResult(0, TrialPoint.of(0, 0, 1, 0, 0, 0, 1,
        1), Double.NaN, Double.NaN, null, true));
    assertTrue(s.linearMargins());
    assertEquals(2, s.dataPasses());
    Superstep first = s.pending();
    assertEquals(Direction.STEEPEST, first.direction());
    assertNotNull(first.gradientRule());
    assertTrue(Double.isNaN(first.gradientRule().slope0()), "g.d is this superstep's own");
    // Sufficient decrease, but |slope| > 0.9 |g.d|: not admitted, so no gradient.
    assertFalse(first.needsGradient(0.9, -0.95, -1));
    assertTrue(first.needsGradient(0.9, -0.5, -1));
    s = c.advance(s, new SuperstepResult(1, TrialPoint.withoutGradient(1, 1, 0.9, -0.95), -1, 1,
        null, true));
    assertEquals(3, s.dataPasses(), "the direction's margins");
    Superstep again = s.pending();
    assertEquals(Direction.KEEP, again.direction());
    assertNull(again.commit());
    assertNull(again.gradientRule());
    assertEquals(1, again.trialStep(), 0.0);
    assertEquals(2, again.trialId());
    LbfgsState waiting = s;
    assertThrows(IllegalStateException.class, () -> c.advance(waiting, new SuperstepResult(2,
        TrialPoint.of(2, 1, 0.9000000000000001, -0.95, 1, 1, 0.5, 0.5), -1, 1, null, true)));
    LbfgsState end = c.advance(waiting, new SuperstepResult(2,
        TrialPoint.of(2, 1, 0.9, -0.95, 1, 1, 0.5, 0.5), -1, 1, null, true));
    assertEquals(StopReason.MAX_EVALUATIONS, end.stopReason());
    assertEquals(3, end.evaluations());
    assertEquals(4, end.dataPasses());
    assertEquals(2, end.pending().commit().evaluationId(), "the final commit moves there");
  }
}
