package org.lbfgsbeam.core.optim;

import java.io.Serializable;

/**
 * A strong-Wolfe line search in the style of minFunc's {@code WolfeLineSearch} (bracketing, then zoom
 * with cubic interpolation; Nocedal and Wright, Algorithms 3.5 and 3.6), written as an immutable state
 * machine so that each trial evaluation can be a distributed superstep: {@link #nextStep()} names the
 * step to evaluate, {@link #accept(TrialPoint)} returns the next state.
 *
 * <p>A trial t is accepted when it satisfies the strong Wolfe conditions
 * f(x+td) &le; f(x) + c<sub>1</sub>t g&middot;d and |g(x+td)&middot;d| &le; &minus;c<sub>2</sub> g&middot;d.
 *
 * <p>Bracketing (phase 1), for each trial t with predecessor t<sub>prev</sub> (initially 0):
 * <ol>
 *   <li>not finite: halve towards t<sub>prev</sub>, t &larr; (t + t<sub>prev</sub>)/2;</li>
 *   <li>no sufficient decrease, or f &ge; f<sub>prev</sub> from the third trial on: bracket
 *       [t<sub>prev</sub>, t], zoom;</li>
 *   <li>strong Wolfe: done;</li>
 *   <li>slope &ge; 0: bracket [t<sub>prev</sub>, t], zoom;</li>
 *   <li>else extrapolate by the cubic through both points, clamped to
 *       [t + 0.01(t &minus; t<sub>prev</sub>), 10t].</li>
 * </ol>
 * Zoom (phase 2) keeps the invariant that the bracket's LO end has the lowest value seen and satisfies
 * sufficient decrease (or is the start point), and that the slope at LO points towards HI. Each trial
 * is the cubic minimiser in the bracket (the midpoint while an end is not finite), moved to 10% inside
 * the bracket when two trials in a row land too close to an end. The search ends on strong Wolfe, when
 * the bracket is narrower than progressTolerance/max|d|, or after maxEvaluations trials; it then
 * returns the LO end. When that end is the start point the search failed ({@link #failed()}).
 *
 * <p>It reads only the step, f, the slope and finiteness of a trial, so trials evaluated without their
 * gradient ({@link TrialPoint#hasGradient()} false) serve as well; a trial accepted on strong Wolfe
 * always has its gradient ({@link #gradientRule()}), the LO end returned otherwise may not.
 */
public record StrongWolfeLineSearch(double c1, double c2, int maxEvaluations,
    double progressTolerance, TrialPoint start, double directionMaxAbs, int evaluations,
    boolean zooming, TrialPoint previous, TrialPoint[] bracket, boolean insufficientProgress,
    double nextStep, TrialPoint result) implements Serializable {
  // Components, for executors that save the state: the constants (c1, c2, maxEvaluations,
  // progressTolerance), the start point and max|d|, the trials so far, the phase, the previous trial
  // (bracketing), the two ends (zoom; positions kept as minFunc keeps them), minFunc's
  // insufficient-progress flag, the next step to try (NaN when done) and the chosen point (when done).

  /**
   * A new search from {@code start} (step 0: its value f and slope g&middot;d) whose first trial is
   * {@code initialStep}.
   *
   * @param maxEvaluations trials allowed in this search (at least 1)
   * @param directionMaxAbs max|d|, to stop when the bracket is below progressTolerance in x
   */
  public static StrongWolfeLineSearch start(TrialPoint start, double initialStep, double directionMaxAbs,
      double c1, double c2, int maxEvaluations, double progressTolerance) {
    if (!(start.slope() < 0)) {
      throw new IllegalArgumentException("line search needs a descent direction, but g.d was: "
          + start.slope());
    }
    if (!(initialStep > 0) || !Double.isFinite(initialStep)) {
      throw new IllegalArgumentException("initial step must be positive and finite, but was: "
          + initialStep);
    }
    if (maxEvaluations < 1) {
      throw new IllegalArgumentException("max evaluations must be positive, but was: "
          + maxEvaluations);
    }
    return new StrongWolfeLineSearch(c1, c2, maxEvaluations, progressTolerance, start,
        directionMaxAbs, 0, false, start, null, false, initialStep, null);
  }

  /** Whether the search has ended; then {@link #result()} is the chosen point. */
  public boolean isDone() {
    return result != null;
  }

  /** Whether the search ended without any point of sufficient decrease (it returns the start point). */
  public boolean failed() {
    return result.id() == start.id();
  }

  /** Identifiers of evaluations whose gradients this state may still return. */
  public long[] liveEvaluationIds() {
    if (isDone()) {
      return new long[] {result.id()};
    }
    if (zooming) {
      return new long[] {bracket[0].id(), bracket[1].id()};
    }
    return new long[] {previous.id()};
  }

  /** The state after evaluating the trial at {@link #nextStep()}. */
  public StrongWolfeLineSearch accept(TrialPoint trial) {
    if (isDone()) {
      throw new IllegalStateException("line search is done");
    }
    if (Double.compare(trial.step(), nextStep) != 0) {
      throw new IllegalArgumentException("expected a trial at step " + nextStep + ", but got "
          + trial.step());
    }
    int n = evaluations + 1;
    return zooming ? zoom(trial, n) : bracket(trial, n);
  }

  /**
   * The rule under which a trial evaluated from cached margins gets its gradient: the strong Wolfe
   * conditions of this search, so that every trial it accepts has one.
   */
  public Superstep.GradientRule gradientRule() {
    return new Superstep.GradientRule(start.value(), start.slope(), c1, c2);
  }

  /** Sufficient decrease (Armijo): f(t) &le; f(0) + c<sub>1</sub>t&phi;'(0). */
  public static boolean sufficientDecrease(double value0, double slope0, double c1, double step,
      double value) {
    return value <= value0 + c1 * step * slope0;
  }

  /** The strong curvature condition: |&phi;'(t)| &le; &minus;c<sub>2</sub>&phi;'(0). */
  public static boolean curvature(double slope0, double c2, double slope) {
    return Math.abs(slope) <= -c2 * slope0;
  }

  private boolean sufficientDecrease(TrialPoint p) {
    return sufficientDecrease(start.value(), start.slope(), c1, p.step(), p.value());
  }

  private boolean curvature(TrialPoint p) {
    return curvature(start.slope(), c2, p.slope());
  }

  private StrongWolfeLineSearch bracket(TrialPoint t, int n) {
    if (!t.finite()) {
      if (n >= maxEvaluations) {
        return finish(new TrialPoint[] {start, t}, n);
      }
      double halved = (t.step() + previous.step()) / 2;
      return new StrongWolfeLineSearch(c1, c2, maxEvaluations, progressTolerance, start,
          directionMaxAbs, n, false, previous, null, false, halved, null);
    }
    // minFunc compares with f_prev only from its third trial on (its LSiter > 1).
    if (!sufficientDecrease(t) || (n > 2 && t.value() >= previous.value())) {
      return startZoom(new TrialPoint[] {previous, t}, n);
    }
    if (curvature(t)) {
      return done(t, n);
    }
    if (t.slope() >= 0) {
      return startZoom(new TrialPoint[] {previous, t}, n);
    }
    if (n >= maxEvaluations) {
      return finish(new TrialPoint[] {start, t}, n);
    }
    double minStep = t.step() + 0.01 * (t.step() - previous.step());
    double maxStep = t.step() * 10;
    double next = CubicInterpolation.minimize(previous.step(), previous.value(), previous.slope(),
        t.step(), t.value(), t.slope(), minStep, maxStep);
    return new StrongWolfeLineSearch(c1, c2, maxEvaluations, progressTolerance, start,
        directionMaxAbs, n, false, t, null, false, next, null);
  }

  private StrongWolfeLineSearch startZoom(TrialPoint[] ends, int n) {
    if (n >= maxEvaluations) {
      return finish(ends, n);
    }
    return zoomTrial(ends, n, false);
  }

  /**
   * Index of the bracket's LO end: of the ends with sufficient decrease (the start point counts), the
   * lower (the first on a tie, as MATLAB's min). minFunc takes the lower end outright, so a trial that
   * fails sufficient decrease but lies below its predecessor would become LO and drop the start point
   * (it then may return a point without sufficient decrease); Nocedal and Wright's Algorithm 3.5 zooms
   * with the predecessor as LO, which this rule restores.
   */
  private int lowIndex(TrialPoint[] ends) {
    boolean a = acceptableLow(ends[0]);
    boolean b = acceptableLow(ends[1]);
    if (a != b) {
      return a ? 0 : 1;
    }
    return ends[1].value() < ends[0].value() ? 1 : 0;
  }

  private boolean acceptableLow(TrialPoint p) {
    return p.id() == start.id() || (p.finite() && sufficientDecrease(p));
  }

  private StrongWolfeLineSearch zoomTrial(TrialPoint[] ends, int n, boolean insufficient) {
    double a = ends[0].step();
    double b = ends[1].step();
    double t;
    if (!ends[0].finite() || !ends[1].finite()) {
      t = (a + b) / 2;
    } else {
      t = CubicInterpolation.minimize(a, ends[0].value(), ends[0].slope(), b, ends[1].value(),
          ends[1].slope());
    }
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    boolean nowInsufficient;
    if (Math.min(hi - t, t - lo) / (hi - lo) < 0.1) {
      if (insufficient || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - 0.1 * (hi - lo) : lo + 0.1 * (hi - lo);
        nowInsufficient = false;
      } else {
        nowInsufficient = true;
      }
    } else {
      nowInsufficient = false;
    }
    return new StrongWolfeLineSearch(c1, c2, maxEvaluations, progressTolerance, start,
        directionMaxAbs, n, true, null, ends, nowInsufficient, t, null);
  }

  private StrongWolfeLineSearch zoom(TrialPoint t, int n) {
    TrialPoint[] ends = bracket.clone();
    int lo = lowIndex(ends);
    int hi = 1 - lo;
    boolean armijo = t.finite() && sufficientDecrease(t);
    if (!armijo || t.value() >= ends[lo].value()) {
      ends[hi] = t;
    } else {
      if (curvature(t)) {
        return done(t, n);
      }
      if (t.slope() * (ends[hi].step() - ends[lo].step()) >= 0) {
        ends[hi] = ends[lo];
      }
      ends[lo] = t;
    }
    if (Math.abs(ends[0].step() - ends[1].step()) * directionMaxAbs < progressTolerance
        || n >= maxEvaluations) {
      return finish(ends, n);
    }
    return zoomTrial(ends, n, insufficientProgress);
  }

  private StrongWolfeLineSearch finish(TrialPoint[] ends, int n) {
    return done(ends[lowIndex(ends)], n);
  }

  private StrongWolfeLineSearch done(TrialPoint chosen, int n) {
    return new StrongWolfeLineSearch(c1, c2, maxEvaluations, progressTolerance, start,
        directionMaxAbs, n, zooming, previous, bracket, insufficientProgress, Double.NaN, chosen);
  }
}
