package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.objective.DifferentiableFunction;
import org.lbfgsbeam.core.objective.Rosenbrock;
import org.lbfgsbeam.core.objective.WholeVectorObjective;
import org.lbfgsbeam.core.optim.Superstep.Direction;

/**
 * The stop reasons of {@link LbfgsCoordinator}, one designed case each, run through
 * {@link Lbfgs#minimize}; its history bookkeeping (skipped pairs, resets); and its determinism.
 * Where the path through the supersteps matters, the test drives {@link LbfgsDriver#step} itself.
 */
class LbfgsCoordinatorTest {

  /** Counts calls, so that the evaluations a run reports can be checked against the truth. */
  static final class Counting implements DifferentiableFunction {
    private final DifferentiableFunction f;
    int calls;
    int nonFinite;

    Counting(DifferentiableFunction f) {
      this.f = f;
    }

    @Override
    public double valueAndGradient(double[] x, double[] gradient) {
      calls++;
      double v = f.valueAndGradient(x, gradient);
      if (!Double.isFinite(v)) {
        nonFinite++;
      }
      return v;
    }
  }

  /** f = 1/2 sum c_i (x_i - a_i)^2. */
  static DifferentiableFunction quadratic(double[] c, double[] a) {
    return (x, g) -> {
      double f = 0;
      for (int i = 0; i < x.length; i++) {
        double r = x[i] - a[i];
        f += 0.5 * c[i] * r * r;
        g[i] = c[i] * r;
      }
      return f;
    };
  }

  static boolean allFinite(double[] v) {
    return Arrays.stream(v).allMatch(Double::isFinite);
  }

  /** Every state and superstep of a run, from its start to its end. */
  record Trace(List<LbfgsState> states, List<Superstep> supersteps, double[] x) {
    LbfgsState end() {
      return states.get(states.size() - 1);
    }

    long count(java.util.function.Predicate<Superstep> p) {
      return supersteps.stream().filter(p).count();
    }
  }

  static Trace trace(DifferentiableFunction f, double[] x0, LbfgsOptions options) throws Exception {
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    List<LbfgsState> states = new ArrayList<>();
    List<Superstep> supersteps = new ArrayList<>();
    try (LocalExecutor executor = new LocalExecutor(new WholeVectorObjective(f, x0.length),
        new double[][] {x0}, 1)) {
      LbfgsState s = coordinator.start();
      states.add(s);
      while (!s.finished()) {
        supersteps.add(s.pending());
        s = LbfgsDriver.step(coordinator, s, executor, IterationListener.none());
        states.add(s);
      }
      return new Trace(states, supersteps, executor.point(s.xId())[0].clone());
    }
  }

  // ---- GRADIENT_TOLERANCE ----

  /** x0 is the minimiser: the start point's gradient is 0, so no iteration and one evaluation. */
  @Test
  void gradientToleranceAtTheStartPoint() {
    double[] a = {1, -2, 3, 0.5};
    Counting f = new Counting(quadratic(new double[] {1, 2, 3, 4}, a));
    LbfgsResult r = Lbfgs.minimize(f, a.clone(), LbfgsOptions.defaults());
    assertEquals(StopReason.GRADIENT_TOLERANCE, r.stopReason());
    assertEquals(0, r.iterations());
    assertEquals(1, r.evaluations());
    assertEquals(1, f.calls);
    assertArrayEquals(a, r.x(), 0);
    assertEquals(0, r.value(), 0);
  }

  /**
   * A diagonal quadratic: the run stops on max|g| &le; 1e-5, and since g_i = c_i (x_i - a_i) each
   * coordinate is then within 1e-5/c_i of the minimiser; the gradient is recomputed at the returned
   * x, independently of the run's own bookkeeping. The progress tolerance is 0 so that no other test
   * can end the run first (near the end g.d ~ -|g|^2/c is below the default 1e-9).
   */
  @Test
  void gradientToleranceOnAQuadratic() {
    int n = 20;
    double[] c = new double[n];
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      c[i] = 1 + i;
      a[i] = Math.sin(i);
    }
    LbfgsResult r = Lbfgs.minimize(quadratic(c, a), new double[n],
        LbfgsOptions.defaults().withProgressTolerance(0));
    assertEquals(StopReason.GRADIENT_TOLERANCE, r.stopReason(), r.toString());
    double[] g = new double[n];
    quadratic(c, a).valueAndGradient(r.x(), g);
    for (int i = 0; i < n; i++) {
      assertTrue(Math.abs(g[i]) <= 1e-5, "g[" + i + "] = " + g[i]);
      assertEquals(a[i], r.x()[i], 1e-5 / c[i], "x[" + i + "]");
      assertEquals(g[i], r.gradient()[i], 0, "returned gradient " + i);
    }
    assertTrue(r.gradientMaxAbs() <= 1e-5);
  }

  // ---- FUNCTION_TOLERANCE ----

  /**
   * 2-D Rosenbrock with a gradient tolerance of 0 and progress tolerance 1e-4 ends when one accepted
   * step changes f by less than 1e-4 although that step is longer than 1e-4. The listener sees every
   * iteration: the stopping one must meet the function test and not the earlier tests of the table,
   * and no earlier iteration may have met any of them.
   */
  @Test
  void functionTolerance() {
    double tol = 1e-4;
    List<LbfgsState> iterations = new ArrayList<>();
    LbfgsResult r = Lbfgs.minimize(new WholeVectorObjective(new Rosenbrock(), 2),
        new double[][] {{-1.2, 1}},
        LbfgsOptions.defaults().withGradientTolerance(0).withProgressTolerance(tol), 1,
        iterations::add);
    assertEquals(StopReason.FUNCTION_TOLERANCE, r.stopReason(), r.toString());
    LbfgsState last = iterations.get(iterations.size() - 1);
    assertEquals(StopReason.FUNCTION_TOLERANCE, last.stopReason());
    assertTrue(Math.abs(last.value() - last.previousValue()) < tol);
    assertTrue(last.lastStep() * last.directionMaxAbs() > tol, "the step test would come first");
    assertTrue(last.gradientMaxAbs() > 0);
    for (LbfgsState s : iterations.subList(0, iterations.size() - 1)) {
      assertNull(s.stopReason());
      assertTrue(Math.abs(s.value() - s.previousValue()) >= tol, "iteration " + s.iteration());
      assertTrue(s.lastStep() * s.directionMaxAbs() > tol, "iteration " + s.iteration());
    }
    assertEquals(r.iterations(), iterations.size());
  }

  // ---- STEP_TOLERANCE ----

  /**
   * f = 1.25 sum (x_i - 0.1)^2 in 16-D from 0: g = -0.25 each, ||g||_1 = 4, so the first trial is
   * t = 1/4 along d = -g, x = 0.0625 each. It is strong Wolfe (f: 0.2 -> 0.028125; slope -0.375 vs
   * -1), so it is accepted. Its step max|t d| = 0.0625 is below the progress tolerance 0.1 (while t
   * itself, 0.25, is not: the test is on the step in x), and |delta f| = 0.171875 and g.d = -1 are
   * beyond it: STEP_TOLERANCE after one iteration and two evaluations.
   */
  @Test
  void stepTolerance() {
    int n = 16;
    double[] c = new double[n];
    double[] a = new double[n];
    Arrays.fill(c, 2.5);
    Arrays.fill(a, 0.1);
    LbfgsResult r = Lbfgs.minimize(quadratic(c, a), new double[n],
        LbfgsOptions.defaults().withProgressTolerance(0.1));
    assertEquals(StopReason.STEP_TOLERANCE, r.stopReason(), r.toString());
    assertEquals(1, r.iterations());
    assertEquals(2, r.evaluations());
    for (double xi : r.x()) {
      assertEquals(0.0625, xi, 1e-15);
    }
    assertEquals(0.028125, r.value(), 1e-15);
  }

  // ---- DIRECTIONAL_DERIVATIVE ----

  /**
   * f = 1e-3 (x - 1)^2 / 2 from 0: max|g| = 1e-3 passes the gradient test (1e-5), but the first
   * direction d = -g has g.d = -1e-6 &gt; -1e-5 = -progress tolerance: the run stops before any line
   * search. The superstep that formed d also evaluated its first trial, which is counted but not
   * taken: x stays x0.
   */
  @Test
  void directionalDerivative() {
    Counting f = new Counting(quadratic(new double[] {1e-3}, new double[] {1}));
    LbfgsResult r = Lbfgs.minimize(f, new double[] {0},
        LbfgsOptions.defaults().withProgressTolerance(1e-5));
    assertEquals(StopReason.DIRECTIONAL_DERIVATIVE, r.stopReason(), r.toString());
    assertEquals(0, r.iterations());
    assertEquals(2, r.evaluations());
    assertEquals(2, f.calls);
    assertArrayEquals(new double[] {0}, r.x(), 0);
    assertEquals(5e-4, r.value(), 0);
  }

  // ---- MAX_ITERATIONS ----

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 5, 13})
  void maxIterationsIsExact(int k) {
    List<LbfgsState> iterations = new ArrayList<>();
    LbfgsResult r = Lbfgs.minimize(new WholeVectorObjective(new Rosenbrock(), 2),
        new double[][] {{-1.2, 1}}, LbfgsOptions.defaults().withMaxIterations(k), 1,
        iterations::add);
    assertEquals(StopReason.MAX_ITERATIONS, r.stopReason());
    assertEquals(k, r.iterations());
    assertEquals(k, iterations.size(), "listener calls");
    assertTrue(allFinite(r.x()));
  }

  // ---- MAX_EVALUATIONS ----

  static IntStream budgets() {
    return IntStream.rangeClosed(2, 60);
  }

  /**
   * 100-D Rosenbrock needs hundreds of evaluations, and with both tolerances 0 no convergence test
   * can end it early: for every budget the run never evaluates more than allowed, and it reports
   * exactly the evaluations it made.
   */
  @ParameterizedTest
  @MethodSource("budgets")
  void neverExceedsMaxEvaluations(int budget) {
    Counting f = new Counting(new Rosenbrock());
    LbfgsResult r = Lbfgs.minimize(f, Rosenbrock.standardStart(100), LbfgsOptions.defaults()
        .withGradientTolerance(0).withProgressTolerance(0).withMaxEvaluations(budget));
    assertTrue(r.evaluations() <= budget, r.evaluations() + " evaluations for a budget of "
        + budget);
    assertEquals(f.calls, r.evaluations(), "evaluations reported");
    assertTrue(allFinite(r.x()));
  }

  /**
   * The same runs stop with MAX_EVALUATIONS, having used their whole budget.
   */
  @ParameterizedTest
  @MethodSource("budgets")
  void stopsWithMaxEvaluations(int budget) {
    if (budget == 2) {
      // 2-D Rosenbrock: the one trial the budget allows lacks sufficient decrease; the budget, not a
      // line-search failure, is why the run stops.
      LbfgsResult small = Lbfgs.minimize(new Rosenbrock(), new double[] {-1.2, 1},
          LbfgsOptions.defaults().withGradientTolerance(0).withProgressTolerance(0)
              .withMaxEvaluations(2));
      assertEquals(StopReason.MAX_EVALUATIONS, small.stopReason(), small.toString());
    }
    LbfgsResult r = Lbfgs.minimize(new Rosenbrock(), Rosenbrock.standardStart(100),
        LbfgsOptions.defaults().withGradientTolerance(0).withProgressTolerance(0)
            .withMaxEvaluations(budget));
    assertEquals(StopReason.MAX_EVALUATIONS, r.stopReason(), r.toString());
    assertEquals(budget, r.evaluations());
  }

  // ---- LINE_SEARCH_FAILED ----

  /**
   * f = |x - a|^2 / 2, whose reported gradient is right except within 1e-3 of a, where it is off by
   * a constant b (|b| ~ 0.7). The second iteration's secant step lands on a (it is exact for this
   * quadratic); there the reported direction is -H(b + ~0), along which f only rises, so no trial
   * has sufficient decrease. The first failure (with one pair stored) resets the history and
   * restarts with steepest descent; that fails too, and the run stops. x stays at the landing point.
   */
  @Test
  void lineSearchFailedResetsOnceThenStops() throws Exception {
    double[] a = {1, -2, 3};
    double[] b = {0.3, 0.4, -0.5};
    Counting f = new Counting((x, g) -> {
      double value = 0;
      double r2 = 0;
      for (int i = 0; i < x.length; i++) {
        double r = x[i] - a[i];
        value += 0.5 * r * r;
        r2 += r * r;
        g[i] = r;
      }
      if (r2 < 1e-6) {
        for (int i = 0; i < x.length; i++) {
          g[i] += b[i];
        }
      }
      return value;
    });
    Trace t = trace(f, new double[3], LbfgsOptions.defaults());
    LbfgsState end = t.end();
    assertEquals(StopReason.LINE_SEARCH_FAILED, end.stopReason());
    assertEquals(2, end.lineSearchFailures());
    assertEquals(1, t.count(Superstep::resetHistory), "resets");
    Superstep reset = t.supersteps().stream().filter(Superstep::resetHistory).findFirst().get();
    assertEquals(Direction.STEEPEST, reset.direction());
    assertTrue(reset.pairIds().length > 0, "the reset must forget a non-empty history");
    assertEquals(0, reset.pairIdsAfter().length);
    assertEquals(f.calls, end.evaluations());
    assertTrue(allFinite(t.x()));
    for (int i = 0; i < 3; i++) {
      assertEquals(a[i], t.x()[i], 1e-3, "x[" + i + "]");
    }
    assertTrue(end.value() < 1e-6, "f at the landing point: " + end.value());
  }

  /**
   * A gradient of the wrong sign everywhere: the first direction is one of ascent, its line search
   * fails with an empty history (where a reset would change nothing), and the run stops at once.
   */
  @Test
  void lineSearchFailedWithoutHistoryStopsAtOnce() throws Exception {
    Trace t = trace((x, g) -> {
      g[0] = -(x[0] - 5);
      return 0.5 * (x[0] - 5) * (x[0] - 5);
    }, new double[] {0}, LbfgsOptions.defaults());
    assertEquals(StopReason.LINE_SEARCH_FAILED, t.end().stopReason());
    assertEquals(1, t.end().lineSearchFailures());
    assertEquals(0, t.count(Superstep::resetHistory));
    assertEquals(1, t.end().iteration());
    assertArrayEquals(new double[] {0}, t.x(), 0);
  }

  // ---- NON_FINITE ----

  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void nonFiniteValueAtTheStart(double bad) {
    double[] x0 = {0.5, -1};
    Counting f = new Counting((x, g) -> {
      g[0] = 1;
      g[1] = 1;
      return bad;
    });
    LbfgsResult r = Lbfgs.minimize(f, x0, LbfgsOptions.defaults());
    assertEquals(StopReason.NON_FINITE, r.stopReason());
    assertEquals(0, r.iterations());
    assertEquals(1, r.evaluations());
    assertEquals(1, f.calls);
    assertArrayEquals(x0, r.x(), 0);
  }

  @Test
  void nonFiniteGradientAtTheStart() {
    LbfgsResult r = Lbfgs.minimize((x, g) -> {
      g[0] = Double.NaN;
      return 1;
    }, new double[] {2}, LbfgsOptions.defaults());
    assertEquals(StopReason.NON_FINITE, r.stopReason());
    assertEquals(1, r.evaluations());
    assertArrayEquals(new double[] {2}, r.x(), 0);
  }

  /**
   * sum sqrt(1 + (x_i - 1)^2), minimum 2 at (1, 1), but not finite wherever some |x_i| &gt; 20. From
   * (-10, -8) the gradient is nearly flat, so the first line search extrapolates past the cliff and
   * must halve its way back. The run has to end with finite weights and value, every evaluation
   * counted, and (since the minimiser is inside the finite region) at the minimum: f - 2 &ge;
   * |x_i - 1|^2 / (2 sqrt(1 + |x_i - 1|^2)), so f &le; 2 + 1e-6 puts x within ~1.5e-3 of (1, 1).
   */
  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY})
  void nonFiniteRegionReachedMidRun(double bad) {
    Counting f = new Counting((x, g) -> {
      double value = 0;
      boolean outside = false;
      for (int i = 0; i < x.length; i++) {
        double r = x[i] - 1;
        double q = Math.sqrt(1 + r * r);
        value += q;
        g[i] = r / q;
        outside |= Math.abs(x[i]) > 20;
      }
      return outside ? bad : value;
    });
    LbfgsResult r = Lbfgs.minimize(f, new double[] {-10, -8}, LbfgsOptions.defaults());
    assertTrue(f.nonFinite > 0, "the test must reach the non-finite region");
    assertTrue(allFinite(r.x()), Arrays.toString(r.x()));
    assertTrue(Double.isFinite(r.value()));
    assertEquals(f.calls, r.evaluations());
    assertTrue(r.stopReason().converged(), r.stopReason().toString());
    assertTrue(r.value() <= 2 + 1e-6, "f = " + r.value());
  }

  /** The coordinator alone: a direction whose g.d is not finite stops the run, its trial counted. */
  @Test
  void nonFiniteDirectionStops() {
    LbfgsCoordinator c = new LbfgsCoordinator(LbfgsOptions.defaults());
    LbfgsState s = c.advance(c.start(), new SuperstepResult(0,
        new TrialPoint(0, 0, 1, 0, 0, 0, 1, 1, true, true), Double.NaN, Double.NaN, null));
    assertEquals(Direction.STEEPEST, s.pending().direction());
    s = c.advance(s, new SuperstepResult(1, TrialPoint.of(1, 1, 0.5, -0.5, 0.5, 1, 0.5, 0.5),
        Double.NaN, 1, null));
    assertEquals(StopReason.NON_FINITE, s.stopReason());
    assertTrue(s.finished());
    assertEquals(2, s.evaluations());
    assertEquals(0, s.xId());
  }

  // ---- skipped updates ----

  /**
   * f(x) = x is linear: every accepted step has y = 0, so s.y = 0 and every pair is skipped. With at
   * most 3 line-search trials (t = 1, 10, 100, all with sufficient decrease and slope -1) each
   * search ends on its budget at t = 100; the history stays empty, so every direction is steepest
   * descent, and x moves by exactly -100 per iteration.
   */
  @Test
  void pairsWithoutCurvatureAreSkipped() throws Exception {
    Trace t = trace((x, g) -> {
      g[0] = 1;
      return x[0];
    }, new double[] {0}, LbfgsOptions.defaults().withMaxLineSearchEvaluations(3)
        .withMaxIterations(4));
    LbfgsState end = t.end();
    assertEquals(StopReason.MAX_ITERATIONS, end.stopReason());
    assertEquals(4, end.iteration());
    assertEquals(4, end.skippedUpdates());
    assertEquals(0, end.pairIds().length);
    assertEquals(0, t.count(s -> s.commit() != null && s.commit().push()), "pushed pairs");
    assertEquals(0, t.count(s -> s.direction() == Direction.VECTOR_FREE
        || s.direction() == Direction.TWO_LOOP));
    assertArrayEquals(new double[] {-400}, t.x(), 0);
  }

  /** A quadratic with positive curvature skips nothing. */
  @Test
  void curvedStepsAreNotSkipped() {
    LbfgsResult r = Lbfgs.minimize(quadratic(new double[] {1, 4, 9}, new double[] {1, 2, 3}),
        new double[3], LbfgsOptions.defaults());
    assertTrue(r.iterations() > 1);
    assertEquals(0, r.skippedUpdates());
  }

  /**
   * The threshold itself, on the coordinator alone: an accepted strong-Wolfe trial whose reported
   * s.y is exactly 1e-10 is skipped, the next double above it is pushed (with gamma = s.y / y.y).
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void curvatureThreshold(boolean above) {
    double curvature = above ? Math.nextUp(LbfgsOptions.CURVATURE_THRESHOLD)
        : LbfgsOptions.CURVATURE_THRESHOLD;
    LbfgsCoordinator c = new LbfgsCoordinator(LbfgsOptions.defaults());
    LbfgsState s = c.advance(c.start(), new SuperstepResult(0,
        new TrialPoint(0, 0, 1, 0, 0, 0, 1, 1, true, true), Double.NaN, Double.NaN, null));
    assertEquals(1, s.pending().trialStep(), 0, "first step min(1, 1/||g||_1)");
    // f: 1 -> 0.5 (sufficient decrease), slope -1 -> -0.5 (curvature): accepted at once
    s = c.advance(s, new SuperstepResult(1, TrialPoint.of(1, 1, 0.5, -0.5, curvature, 4e-10, 0.5,
        0.5), -1, 1, null));
    assertEquals(1, s.iteration());
    Superstep next = s.pending();
    assertNotNull(next.commit());
    assertEquals(above, next.commit().push());
    assertEquals(above ? 0 : 1, s.skippedUpdates());
    if (above) {
      assertEquals(Direction.VECTOR_FREE, next.direction());
      assertEquals(curvature / 4e-10, next.gamma(), 0);
      assertArrayEquals(new double[] {curvature}, next.pairCurvaturesAfter(), 0);
    } else {
      assertEquals(Direction.STEEPEST, next.direction());
      assertEquals(0, next.pairIdsAfter().length);
    }
  }

  // ---- determinism and misuse ----

  /** Two runs of the same problem go through the same states and supersteps, bit for bit. */
  @Test
  void deterministic() throws Exception {
    for (DirectionMethod method : DirectionMethod.values()) {
      LbfgsOptions options = LbfgsOptions.defaults().withDirectionMethod(method)
          .withGradientTolerance(1e-9);
      Trace first = trace(new Rosenbrock(), Rosenbrock.standardStart(10), options);
      Trace second = trace(new Rosenbrock(), Rosenbrock.standardStart(10), options);
      assertEquals(first.states().size(), second.states().size(), method.toString());
      assertTrue(first.states().size() > 50, "a run long enough to mean something");
      for (int k = 0; k < first.states().size(); k++) {
        LbfgsState a = first.states().get(k);
        LbfgsState b = second.states().get(k);
        String where = method + " state " + k;
        assertEquals(Double.doubleToLongBits(a.value()), Double.doubleToLongBits(b.value()), where);
        assertEquals(Double.doubleToLongBits(a.gradientMaxAbs()),
            Double.doubleToLongBits(b.gradientMaxAbs()), where);
        assertEquals(Double.doubleToLongBits(a.gamma()), Double.doubleToLongBits(b.gamma()), where);
        assertEquals(a.iteration(), b.iteration(), where);
        assertEquals(a.evaluations(), b.evaluations(), where);
        assertArrayEquals(a.pairCurvatures(), b.pairCurvatures(), 0, where);
        assertEquals(a.pending(), b.pending(), where);
        assertEquals(a.stopReason(), b.stopReason(), where);
      }
      assertArrayEquals(first.x(), second.x(), 0, method.toString());
    }
  }

  @Test
  void advanceRejectsMisuse() {
    LbfgsCoordinator c = new LbfgsCoordinator(LbfgsOptions.defaults());
    LbfgsState start = c.start();
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> c.advance(start, new SuperstepResult(5, null, 0, 0, null)));
    assertEquals("result of superstep 5 does not answer pending superstep 0", wrong.getMessage());
    LbfgsState stopped = c.advance(start, new SuperstepResult(0,
        TrialPoint.of(0, 0, Double.NaN, 0, 0, 0, 1, 1), Double.NaN, Double.NaN, null));
    assertTrue(stopped.finished());
    IllegalStateException done = assertThrows(IllegalStateException.class,
        () -> c.advance(stopped, new SuperstepResult(1, null, 0, 0, null)));
    assertEquals("the run has stopped: NON_FINITE", done.getMessage());
    assertFalse(start.finished());
  }
}
