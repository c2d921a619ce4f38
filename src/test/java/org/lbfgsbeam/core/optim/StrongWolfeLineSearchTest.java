package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Drives the {@link StrongWolfeLineSearch} state machine by hand on one-dimensional functions
 * phi(t) = f(x + t d), feeding it phi and phi' at every step it asks for.
 */
class StrongWolfeLineSearchTest {

  private static final double C1 = 1e-4;
  private static final double C2 = 0.9;

  /** A 1-D function with its derivative. */
  private record Phi(DoubleUnaryOperator value, DoubleUnaryOperator slope) {
    double f(double t) {
      return value.applyAsDouble(t);
    }

    double g(double t) {
      return slope.applyAsDouble(t);
    }
  }

  /** The end state of a search and every step it tried, in order. */
  private record Run(TrialPoint start, StrongWolfeLineSearch end, List<Double> steps) {
    TrialPoint result() {
      return end.result();
    }
  }

  private static TrialPoint startPoint(double value, double slope) {
    return new TrialPoint(0, 0, value, slope, 0, 0, 1, 1, true, true);
  }

  /**
   * Runs a search from phi(0), phi'(0) to the end, and checks on the way that every zoom trial lies
   * strictly inside its bracket and that the state never asks for more than maxEvaluations trials.
   */
  private static Run run(Phi phi, double initialStep, double c1, double c2, int maxEvaluations,
      double progressTolerance, double directionMaxAbs) {
    TrialPoint start = startPoint(phi.f(0), phi.g(0));
    StrongWolfeLineSearch s = StrongWolfeLineSearch.start(start, initialStep, directionMaxAbs, c1,
        c2, maxEvaluations, progressTolerance);
    List<Double> steps = new ArrayList<>();
    long id = 1;
    while (!s.isDone()) {
      double t = s.nextStep();
      assertTrue(Double.isFinite(t) && t > 0, "trial step " + t);
      if (s.zooming()) {
        double lo = Math.min(s.bracket()[0].step(), s.bracket()[1].step());
        double hi = Math.max(s.bracket()[0].step(), s.bracket()[1].step());
        assertTrue(lo < t && t < hi, "zoom trial " + t + " outside its bracket (" + lo + ", " + hi
            + ")");
      }
      steps.add(t);
      assertTrue(steps.size() <= maxEvaluations, "more trials than maxEvaluations: " + steps);
      s = s.accept(TrialPoint.of(id++, t, phi.f(t), phi.g(t), 0, 0, 1, 1));
      assertEquals(steps.size(), s.evaluations(), "evaluations counted");
    }
    return new Run(start, s, steps);
  }

  private static Run run(Phi phi, double initialStep, double c2) {
    return run(phi, initialStep, C1, c2, 25, 0, 1);
  }

  private static boolean sufficientDecrease(TrialPoint start, TrialPoint p, double c1) {
    return p.value() <= start.value() + c1 * p.step() * start.slope();
  }

  private static boolean curvature(TrialPoint start, TrialPoint p, double c2) {
    return Math.abs(p.slope()) <= -c2 * start.slope();
  }

  private static void assertStrongWolfe(Run r, double c1, double c2) {
    assertFalse(r.end().failed(), "failed; steps " + r.steps());
    TrialPoint p = r.result();
    assertTrue(sufficientDecrease(r.start(), p, c1), "no sufficient decrease at " + p
        + "; steps " + r.steps());
    assertTrue(curvature(r.start(), p, c2), "no curvature condition at " + p + "; steps "
        + r.steps());
  }

  // ---- hand-designed functions with known trial sequences ----

  /** (t-2)^2 from t = 1: phi(1) = 1 &le; 4 - 4e-4 and |phi'(1)| = 2 &le; 0.9 &middot; 4, so one trial. */
  @Test
  void quadraticAcceptsTheFirstTrialWhenItIsStrongWolfe() {
    Phi phi = new Phi(t -> (t - 2) * (t - 2), t -> 2 * (t - 2));
    Run r = run(phi, 1, C2);
    assertEquals(List.of(1.0), r.steps());
    assertEquals(1, r.result().step(), 0);
    assertStrongWolfe(r, C1, C2);
  }

  /**
   * With c2 = 0.1, t = 1 fails the curvature test (|-2| &gt; 0.4) with a negative slope, so the search
   * extrapolates by the cubic through (0, 4, -4) and (1, 1, -2), which for a quadratic is its vertex 2.
   */
  @Test
  void quadraticExtrapolatesToTheVertex() {
    Phi phi = new Phi(t -> (t - 2) * (t - 2), t -> 2 * (t - 2));
    Run r = run(phi, 1, 0.1);
    assertEquals(2, r.steps().size(), "steps " + r.steps());
    assertEquals(2, r.result().step(), 1e-12);
    assertStrongWolfe(r, C1, 0.1);
  }

  /**
   * t^3 - 3t from t = 4: phi(4) = 52 fails sufficient decrease, so the search zooms in [0, 4], where
   * the cubic interpolant is phi itself and its minimiser t = 1 (phi' = 0) ends the search.
   */
  @Test
  void cubicZoomsOntoItsMinimiser() {
    Phi phi = new Phi(t -> t * t * t - 3 * t, t -> 3 * t * t - 3);
    Run r = run(phi, 4, C2);
    assertEquals(2, r.steps().size(), "steps " + r.steps());
    assertEquals(4, r.steps().get(0), 0);
    assertEquals(1, r.result().step(), 1e-12);
    assertStrongWolfe(r, C1, C2);
  }

  /**
   * (t-50)^2 from t = 1 with c2 = 0.1 needs t in [45, 55]. Each bracketing trial may extrapolate by
   * at most 10x (clamped to [t + 0.01(t - t_prev), 10t]): 1, then 10 (the vertex 50 clamped), then
   * the vertex 50 itself (within 10 &middot; 10).
   */
  @Test
  void bracketingExtrapolatesAtMostTenfold() {
    Phi phi = new Phi(t -> (t - 50) * (t - 50), t -> 2 * (t - 50));
    Run r = run(phi, 1, 0.1);
    assertEquals(3, r.steps().size(), "steps " + r.steps());
    assertEquals(1, r.steps().get(0), 0);
    assertEquals(10, r.steps().get(1), 0);
    assertEquals(50, r.steps().get(2), 1e-9);
    assertStrongWolfe(r, C1, 0.1);
  }

  /** (t-500)^2: 1, 10, 100 are each clamped at 10x, then the vertex 500. */
  @Test
  void farMinimiserTakesSeveralTenfoldSteps() {
    Phi phi = new Phi(t -> (t - 500) * (t - 500), t -> 2 * (t - 500));
    Run r = run(phi, 1, 0.1);
    assertEquals(4, r.steps().size(), "steps " + r.steps());
    assertEquals(List.of(1.0, 10.0, 100.0), r.steps().subList(0, 3));
    assertEquals(500, r.steps().get(3), 1e-9);
    for (int k = 1; k < r.steps().size(); k++) {
      assertTrue(r.steps().get(k) <= 10 * r.steps().get(k - 1), "more than tenfold: " + r.steps());
    }
    assertStrongWolfe(r, C1, 0.1);
  }

  /** With the default c2 = 0.9 the same function accepts t = 10, where |phi'| = 80 &le; 90. */
  @Test
  void looseCurvatureAcceptsAnIntermediateStep() {
    Phi phi = new Phi(t -> (t - 50) * (t - 50), t -> 2 * (t - 50));
    Run r = run(phi, 1, C2);
    assertEquals(List.of(1.0, 10.0), r.steps());
    assertStrongWolfe(r, C1, C2);
  }

  /**
   * (t-2)^2, but not finite beyond t = 3 (as when exp overflows): the trial at 8 and then 4 are halved
   * towards 0, and 2 is the minimiser.
   */
  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY})
  void nonFiniteTrialsAreHalved(double bad) {
    Phi phi = new Phi(t -> t > 3 ? bad : (t - 2) * (t - 2), t -> t > 3 ? bad : 2 * (t - 2));
    Run r = run(phi, 8, C2);
    assertEquals(List.of(8.0, 4.0, 2.0), r.steps());
    assertEquals(2, r.result().step(), 0);
    assertStrongWolfe(r, C1, C2);
  }

  /** A finite value with a non-finite slope is a non-finite trial too. */
  @Test
  void nonFiniteSlopeIsHalved() {
    Phi phi = new Phi(t -> (t - 2) * (t - 2), t -> t > 3 ? Double.NaN : 2 * (t - 2));
    Run r = run(phi, 8, C2);
    assertEquals(List.of(8.0, 4.0, 2.0), r.steps());
  }

  /** Never finite: the search uses its whole budget and fails, returning the start point. */
  @Test
  void neverFiniteFailsAfterTheBudget() {
    Phi phi = new Phi(t -> t == 0 ? 0 : Double.NaN, t -> t == 0 ? -1 : Double.NaN);
    Run r = run(phi, 1, C1, C2, 6, 0, 1);
    assertEquals(List.of(1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125), r.steps());
    assertTrue(r.end().failed());
    assertSame(r.start(), r.result());
  }

  /**
   * phi(t) = t rises although phi'(0) is reported as -1 (a wrong gradient): no trial has sufficient
   * decrease, every zoom trial replaces the high end, and with no width stop the search fails after
   * exactly maxEvaluations trials, returning the start point.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7, 25})
  void noDecreaseFailsAfterMaxEvaluations(int maxEvaluations) {
    Phi phi = new Phi(t -> t, t -> t == 0 ? -1 : 1);
    Run r = run(phi, 1, C1, C2, maxEvaluations, 0, 1);
    assertEquals(maxEvaluations, r.steps().size(), "steps " + r.steps());
    assertEquals(maxEvaluations, r.end().evaluations());
    assertTrue(r.end().failed());
    assertSame(r.start(), r.result());
    for (int k = 1; k < r.steps().size(); k++) {
      assertTrue(r.steps().get(k) < r.steps().get(k - 1), "the bracket must shrink: " + r.steps());
    }
  }

  /**
   * The same rising function with a progress tolerance: the search stops as soon as the bracket
   * [0, t] is narrower than progressTolerance / max|d| (in x: width &middot; max|d| &lt; tolerance),
   * not before, and well within its budget.
   */
  @ParameterizedTest
  @ValueSource(doubles = {1, 10, 1000})
  void narrowBracketStopsTheZoom(double directionMaxAbs) {
    double tolerance = 1e-3;
    Phi phi = new Phi(t -> t, t -> t == 0 ? -1 : 1);
    Run r = run(phi, 1, C1, C2, 25, tolerance, directionMaxAbs);
    List<Double> steps = r.steps();
    assertTrue(steps.size() < 25, "budget used up: " + steps);
    assertTrue(r.end().failed());
    double last = steps.get(steps.size() - 1);
    double before = steps.get(steps.size() - 2);
    assertTrue(last * directionMaxAbs < tolerance, "stopped too early: " + steps);
    assertTrue(before * directionMaxAbs >= tolerance, "stopped too late: " + steps);
  }

  // ---- rules of minFunc's search, on tabulated values (the state machine only sees the numbers) ----

  /**
   * The second trial is not compared with the first (minFunc tests f &ge; f_prev only when LSiter &gt;
   * 1): phi(1) = -0.5 with slope -0.95 asks for extrapolation (the cubic through (0, 0, -1) and
   * (1, -0.5, -0.95) has no minimiser: the midpoint 5.505 of [1.01, 10]); there phi = -0.4 is higher
   * than phi(1) but strong Wolfe, and is accepted.
   */
  @Test
  void secondTrialIsNotComparedWithTheFirst() {
    Phi phi = new Phi(t -> t == 0 ? 0 : t == 1 ? -0.5 : -0.4,
        t -> t == 0 ? -1 : t == 1 ? -0.95 : 0);
    Run r = run(phi, 1, C2);
    assertEquals(2, r.steps().size(), "steps " + r.steps());
    assertEquals(5.505, r.steps().get(1), 1e-12);
    assertEquals(5.505, r.result().step(), 1e-12);
    assertStrongWolfe(r, C1, C2);
  }

  /**
   * From the third trial on a value no lower than its predecessor's starts the zoom, even when the
   * trial is strong Wolfe: trials 1 and 2 descend with slope -0.95, trial 3 has phi' = 0 but the same
   * value as trial 2, so the bracket becomes [t2, t3].
   */
  @Test
  void laterTrialsAreComparedWithTheirPredecessor() {
    Phi phi = new Phi(t -> t == 0 ? 0 : t == 1 ? -0.5 : -0.6,
        t -> t == 0 ? -1 : t == 1 || t <= 5.52 ? -0.95 : 0);
    StrongWolfeLineSearch s = StrongWolfeLineSearch.start(startPoint(0, -1), 1, 1, C1, C2, 25, 0);
    double[] steps = new double[3];
    for (int k = 0; k < 3; k++) {
      steps[k] = s.nextStep();
      s = s.accept(TrialPoint.of(k + 1, steps[k], phi.f(steps[k]), phi.g(steps[k]), 0, 0, 1, 1));
    }
    assertTrue(steps[2] > 5.52, "third trial " + steps[2]);
    assertFalse(s.isDone(), "accepted " + (s.isDone() ? s.result() : null));
    assertTrue(s.zooming());
    assertEquals(steps[1], s.bracket()[0].step(), 0);
    assertEquals(steps[2], s.bracket()[1].step(), 0);
  }

  /**
   * In zoom a trial whose value equals the low end's is not lower (N&amp;W Algorithm 3.6: phi(t) &ge;
   * phi(t_lo) makes it the high end), even when it satisfies strong Wolfe. Trial 1 (phi = -1,
   * slope -0.95) extrapolates to t2 &asymp; 2.94, which fails sufficient decrease: bracket [1, t2] with
   * low end 1. Trial 3 inside has phi = -1 again and slope 0: it replaces the high end.
   */
  @Test
  void zoomTrialTyingTheLowEndBecomesTheHighEnd() {
    Phi phi = new Phi(t -> t == 0 ? 0 : t == 1 ? -1 : t > 2.9 ? 1 : -1,
        t -> t == 0 ? -1 : t == 1 ? -0.95 : t > 2.9 ? 1 : 0);
    StrongWolfeLineSearch s = StrongWolfeLineSearch.start(startPoint(0, -1), 1, 1, C1, C2, 25, 0);
    double[] steps = new double[3];
    for (int k = 0; k < 3; k++) {
      steps[k] = s.nextStep();
      s = s.accept(TrialPoint.of(k + 1, steps[k], phi.f(steps[k]), phi.g(steps[k]), 0, 0, 1, 1));
    }
    assertTrue(steps[1] > 2.9 && steps[2] < 2.9, "trials " + Arrays.toString(steps));
    assertFalse(s.isDone(), "accepted " + (s.isDone() ? s.result() : null));
    assertEquals(1, s.bracket()[0].step(), 0);
    assertEquals(steps[2], s.bracket()[1].step(), 0);
  }

  /**
   * minFunc's safeguard: a zoom trial within 10% of the bracket's width from an end is kept once, and
   * the next one that crowds an end is moved to 10% inside. phi(t) = t with phi'(0) = -1 and
   * phi'(t) = -10 elsewhere: the cubic puts each trial at 3.5% of the bracket [0, t_prev].
   */
  @Test
  void crowdedZoomTrialsAreMovedInside() {
    Phi phi = new Phi(t -> t, t -> t == 0 ? -1 : -10);
    Run r = run(phi, 1, C1, C2, 4, 0, 1);
    List<Double> steps = r.steps();
    assertEquals(4, steps.size());
    assertTrue(steps.get(1) > 0 && steps.get(1) < 0.1, "first zoom trial crowds 0: " + steps);
    assertEquals(0.1 * steps.get(1), steps.get(2), 0, "second crowding trial moved: " + steps);
    double kept = steps.get(3) / steps.get(2);
    assertTrue(kept > 0 && kept < 0.1, "the flag is cleared after a move: " + steps);
    assertTrue(r.end().failed());
  }

  /** The live ids: the previous trial while bracketing, both ends in zoom, the result when done. */
  @Test
  void liveEvaluationIds() {
    Phi phi = new Phi(t -> t * t * t - 3 * t, t -> 3 * t * t - 3);
    StrongWolfeLineSearch s = StrongWolfeLineSearch.start(startPoint(0, -3), 4, 1, C1, C2, 25, 0);
    assertArrayEquals(new long[] {0}, s.liveEvaluationIds());
    s = s.accept(TrialPoint.of(7, 4, phi.f(4), phi.g(4), 0, 0, 1, 1));
    assertTrue(s.zooming());
    assertArrayEquals(new long[] {0, 7}, s.liveEvaluationIds());
    double t = s.nextStep();
    s = s.accept(TrialPoint.of(8, t, phi.f(t), phi.g(t), 0, 0, 1, 1));
    assertTrue(s.isDone());
    assertArrayEquals(new long[] {8}, s.liveEvaluationIds());
  }

  // ---- Moré and Thuente's test functions (ACM TOMS 20, 1994, Table 1-3) ----

  static Stream<Arguments> moreThuente() {
    double b1 = 2;
    Phi phi1 = new Phi(t -> -t / (t * t + b1), t -> (t * t - b1) / ((t * t + b1) * (t * t + b1)));
    double b2 = 0.004;
    Phi phi2 = new Phi(t -> Math.pow(t + b2, 5) - 2 * Math.pow(t + b2, 4),
        t -> 5 * Math.pow(t + b2, 4) - 8 * Math.pow(t + b2, 3));
    double b3 = 0.01;
    double l = 39;
    DoubleUnaryOperator f0 = t -> t <= 1 - b3 ? 1 - t
        : t >= 1 + b3 ? t - 1 : (t - 1) * (t - 1) / (2 * b3) + b3 / 2;
    DoubleUnaryOperator g0 = t -> t <= 1 - b3 ? -1 : t >= 1 + b3 ? 1 : (t - 1) / b3;
    Phi phi3 = new Phi(
        t -> f0.applyAsDouble(t) + 2 * (1 - b3) / (l * Math.PI) * Math.sin(l * Math.PI * t / 2),
        t -> g0.applyAsDouble(t) + (1 - b3) * Math.cos(l * Math.PI * t / 2));
    List<Arguments> cases = new ArrayList<>();
    for (double t0 : new double[] {1e-3, 1e-1, 10, 1e3}) {
      // phi1 from t0 = 1e3: phi(1e3) = -1e-3 fails sufficient decrease but lies below phi(0) = 0;
      // the zoom must keep the start point as its low end (it once returned t = 333.3 without
      // sufficient decrease after 25 trials).
      cases.add(Arguments.of("phi1", phi1, t0, 1e-3, 0.1));
      cases.add(Arguments.of("phi2", phi2, t0, 0.1, 0.1));
      cases.add(Arguments.of("phi3", phi3, t0, 0.1, 0.1));
    }
    return cases.stream();
  }

  /** The constants (c1, c2) of Moré and Thuente's tables; the result must be strong Wolfe. */
  @ParameterizedTest(name = "{0} from t0={2}")
  @MethodSource("moreThuente")
  void moreThuenteFunctions(String name, Phi phi, double t0, double c1, double c2) {
    Run r = run(phi, t0, c1, c2, 25, 0, 1);
    assertStrongWolfe(r, c1, c2);
  }

  // ---- argument validation and misuse ----

  @ParameterizedTest
  @ValueSource(doubles = {0, 0.5, Double.NaN})
  void rejectsANonDescentStart(double slope) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StrongWolfeLineSearch.start(startPoint(1, slope), 1, 1, C1, C2, 25, 0));
    assertEquals("line search needs a descent direction, but g.d was: " + slope, e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -1, Double.NaN, Double.POSITIVE_INFINITY})
  void rejectsABadInitialStep(double step) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StrongWolfeLineSearch.start(startPoint(1, -1), step, 1, C1, C2, 25, 0));
    assertEquals("initial step must be positive and finite, but was: " + step, e.getMessage());
  }

  @Test
  void rejectsANonPositiveBudget() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StrongWolfeLineSearch.start(startPoint(1, -1), 1, 1, C1, C2, 0, 0));
    assertEquals("max evaluations must be positive, but was: 0", e.getMessage());
  }

  @Test
  void rejectsATrialAtAnotherStep() {
    StrongWolfeLineSearch s = StrongWolfeLineSearch.start(startPoint(1, -1), 1, 1, C1, C2, 25, 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.accept(TrialPoint.of(1, 0.5, 0, -1, 0, 0, 1, 1)));
    assertEquals("expected a trial at step 1.0, but got 0.5", e.getMessage());
  }

  @Test
  void rejectsATrialAfterTheEnd() {
    StrongWolfeLineSearch s = StrongWolfeLineSearch.start(startPoint(4, -4), 1, 1, C1, C2, 25, 0)
        .accept(TrialPoint.of(1, 1, 1, -2, 0, 0, 1, 1));
    assertTrue(s.isDone());
    assertTrue(Double.isNaN(s.nextStep()));
    assertThrows(IllegalStateException.class, () -> s.accept(TrialPoint.of(2, 1, 1, -2, 0, 0, 1, 1)));
  }
}
