package org.lbfgsbeam.core.optim;

import org.lbfgsbeam.core.optim.Superstep.Commit;
import org.lbfgsbeam.core.optim.Superstep.Direction;

/**
 * The L-BFGS coordinator (Nocedal 1980; Liu and Nocedal 1989) as a pure function from a state and the
 * reduced scalars of one superstep to the next state and superstep. It decides the line-search trials,
 * the history updates and termination exactly as minFunc's {@code lbfgs} does, and is shared by every
 * executor, so the in-process path, the Beam pipelines and the Flink iteration take the same decisions
 * on the same bits.
 *
 * <p>Per iteration k (minFunc's loop): direction d = &minus;H<sub>k</sub>g (d = &minus;g at first and
 * after a reset); stop with {@link StopReason#DIRECTIONAL_DERIVATIVE} when g&middot;d &gt;
 * &minus;progressTolerance; initial step min(1, 1/&Vert;g&Vert;<sub>1</sub>) on the first iteration (and after
 * a reset), 1 otherwise; a {@link StrongWolfeLineSearch}; then, on the accepted point, the tests of
 * {@link StopReason} in table order. The pair (s, y) = (t&middot;d, g<sub>new</sub> &minus; g) is kept
 * when s&middot;y &gt; 1e-10 (else skipped and counted), and &gamma; = s&middot;y/y&middot;y. A line search
 * that finds no sufficient decrease resets the history; a second one in a row (or one with an empty
 * history, where a reset changes nothing) stops with {@link StopReason#LINE_SEARCH_FAILED}.
 *
 * <p><b>Cached margins.</b> When the start point's result says the executor keeps margins
 * ({@link SuperstepResult#linearMargins()}), every later line-search trial carries a
 * {@link Superstep.GradientRule}: the executor evaluates f and the slope from cached margins and runs
 * the gradient pass only for a trial the line search could accept. When the search nevertheless ends on
 * a trial without a gradient (its fallback to the best point when its budget or bracket runs out), the
 * coordinator issues one more superstep that evaluates the same step with the gradient forced
 * (direction {@link Direction#KEEP}, no rule), checks that f and the slope are the same bits, and only
 * then moves there. That re-evaluation counts as an evaluation (so a budget-cut search may end one
 * evaluation past maxEvaluations) and its gradient as a data pass ({@link #dataPasses}).
 */
public final class LbfgsCoordinator {
  private final LbfgsOptions options;

  public LbfgsCoordinator(LbfgsOptions options) {
    this.options = options;
  }

  public LbfgsOptions options() {
    return options;
  }

  /** The state before the first superstep, which evaluates the start point x<sub>0</sub> (id 0). */
  public LbfgsState start() {
    Superstep first = new Superstep(0, 0, -1, -1, new long[0], new double[0], options.history(),
        false, null, Direction.NONE, 1, Double.NaN, null, 0, 0, null);
    GramMatrix gram = options.directionMethod() == DirectionMethod.VECTOR_FREE
        ? GramMatrix.empty() : null;
    return new LbfgsState(0, 0, 0, false, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
        Double.NaN, 0, -1, -1, new long[0], new double[0], 1, gram, Double.NaN, null, 0, 0, 1, first,
        null);
  }

  /**
   * The passes over the training data that {@code step} made, from what it was asked to do and its
   * result (never from the executor's own count). A pass is one of the objective's phases that read
   * the data: margins (X&middot;w) or gradient (X<sup>T</sup>&middot;r).
   * <ul>
   *   <li>Without cached margins ({@code linearMargins} false): a trial is two passes (the margins of
   *       x<sub>t</sub>, then its gradient); a superstep without a trial none.</li>
   *   <li>With cached margins: the start point two (the margins of x<sub>0</sub>, kept as
   *       z<sub>x</sub>, and its gradient); forming a direction one (z<sub>d</sub> = the margins of d);
   *       any other trial one when it ran its gradient pass ({@link TrialPoint#hasGradient()}), none
   *       otherwise (its margins are z<sub>x</sub> + t&middot;z<sub>d</sub>, its f and slope come from
   *       reductions). Commits and the direction's vector algebra read no data.</li>
   * </ul>
   */
  public static int dataPasses(Superstep step, SuperstepResult result, boolean linearMargins) {
    if (!linearMargins) {
      return step.hasTrial() ? 2 : 0;
    }
    int passes = step.formsDirection() ? 1 : 0;
    if (step.hasTrial()) {
      if (step.direction() == Direction.NONE) {
        passes += 2;
      } else if (result.trial().hasGradient()) {
        passes += 1;
      }
    }
    return passes;
  }

  /** The state after {@code state.pending()} ran and returned {@code result}. */
  public LbfgsState advance(LbfgsState state, SuperstepResult result) {
    Superstep step = state.pending();
    if (step == null) {
      throw new IllegalStateException("the run has stopped: " + state.stopReason());
    }
    if (result.number() != step.number()) {
      throw new IllegalArgumentException("result of superstep " + result.number()
          + " does not answer pending superstep " + step.number());
    }
    boolean linear = step.direction() == Direction.NONE ? result.linearMargins()
        : state.linearMargins();
    int passes = state.dataPasses() + dataPasses(step, result, linear);
    GramMatrix gram = state.gram();
    if (step.direction() == Direction.VECTOR_FREE) {
      gram = step.gram().updated(options.history(), step.commit() != null && step.commit().push(),
          step.resetHistory(), result.gramDots());
    } else if (step.resetHistory() && gram != null) {
      gram = GramMatrix.empty();
    }
    // The vector ids and history after the reset, commit and direction of this superstep.
    LbfgsState s = new LbfgsState(state.iteration(), state.evaluations(), passes, linear,
        state.value(), state.gradientMaxAbs(), state.gradientSumAbs(), state.previousValue(),
        state.lastStep(), step.xIdAfter(), step.gIdAfter(), step.dIdAfter(), step.pairIdsAfter(),
        step.pairCurvaturesAfter(), step.formsDirection() ? step.gamma() : state.gamma(), gram,
        step.formsDirection() ? result.directionMaxAbs() : state.directionMaxAbs(),
        state.lineSearch(), state.skippedUpdates(), state.lineSearchFailures(),
        state.nextSuperstep(), step, state.stopReason());
    if (!step.hasTrial()) {
      return s.with(null, s.stopReason()); // the final commit has been applied
    }
    TrialPoint trial = result.trial();
    int evaluations = s.evaluations() + 1;
    if (step.direction() == Direction.NONE) {
      return afterStartPoint(s, trial, evaluations);
    }
    StrongWolfeLineSearch search = s.lineSearch();
    if (search != null && search.isDone()) {
      return afterReevaluation(s, search.result(), trial, evaluations);
    }
    if (step.formsDirection()) {
      double slope = result.initialSlope();
      if (!Double.isFinite(slope) || !Double.isFinite(result.directionMaxAbs())) {
        return counted(s, evaluations).with(null, StopReason.NON_FINITE);
      }
      if (slope > -options.progressTolerance()) {
        return counted(s, evaluations).with(null, StopReason.DIRECTIONAL_DERIVATIVE);
      }
      TrialPoint origin = new TrialPoint(s.gId(), 0, s.value(), slope, 0, 0, s.gradientMaxAbs(),
          s.gradientSumAbs(), true, true);
      int budget = Math.min(options.maxLineSearchEvaluations(),
          options.maxEvaluations() - s.evaluations());
      search = StrongWolfeLineSearch.start(origin, step.trialStep(), result.directionMaxAbs(),
          options.c1(), options.c2(), budget, options.progressTolerance());
    }
    search = search.accept(trial);
    if (!search.isDone()) {
      LbfgsState running = withSearch(s, evaluations, search);
      return running.with(keep(running, search), null);
    }
    if (!search.failed() && !search.result().hasGradient()) {
      LbfgsState waiting = withSearch(s, evaluations, search);
      return waiting.with(reevaluate(waiting, search.result().step()), null);
    }
    return afterLineSearch(withSearch(s, evaluations, null), search.failed(), search.result());
  }

  /**
   * The forced re-evaluation of the line search's {@code chosen} trial came back as {@code trial}:
   * the same step, f and slope (the same margins, reduced in the same order), now with its gradient.
   */
  private LbfgsState afterReevaluation(LbfgsState s, TrialPoint chosen, TrialPoint trial,
      int evaluations) {
    if (!trial.hasGradient() || Double.compare(trial.step(), chosen.step()) != 0) {
      throw new IllegalArgumentException("expected the re-evaluation of step " + chosen.step()
          + " with its gradient, but got " + trial);
    }
    LbfgsState t = withSearch(s, evaluations, null);
    if (!trial.finite()) {
      return t.with(null, StopReason.NON_FINITE);
    }
    if (Double.compare(trial.value(), chosen.value()) != 0
        || Double.compare(trial.slope(), chosen.slope()) != 0) {
      throw new IllegalStateException("the re-evaluation of step " + chosen.step() + " gave f = "
          + trial.value() + ", slope = " + trial.slope() + ", but the line search saw f = "
          + chosen.value() + ", slope = " + chosen.slope());
    }
    return afterLineSearch(t, false, trial);
  }

  private LbfgsState afterStartPoint(LbfgsState s, TrialPoint start, int evaluations) {
    LbfgsState t = new LbfgsState(0, evaluations, s.dataPasses(), s.linearMargins(), start.value(),
        start.gradientMaxAbs(), start.gradientSumAbs(), Double.NaN, Double.NaN, s.xId(), start.id(),
        s.dId(), s.pairIds(), s.pairCurvatures(), s.gamma(), s.gram(), s.directionMaxAbs(), null, 0, 0,
        s.nextSuperstep(), s.pending(), null);
    if (!start.finite()) {
      return t.with(null, StopReason.NON_FINITE);
    }
    if (start.gradientMaxAbs() <= options.gradientTolerance()) {
      return t.with(null, StopReason.GRADIENT_TOLERANCE);
    }
    return t.with(restart(t, false), null);
  }

  private LbfgsState afterLineSearch(LbfgsState s, boolean failed, TrialPoint r) {
    int iteration = s.iteration() + 1;
    if (failed) {
      int failures = s.lineSearchFailures() + 1;
      LbfgsState t = new LbfgsState(iteration, s.evaluations(), s.dataPasses(), s.linearMargins(),
          s.value(), s.gradientMaxAbs(), s.gradientSumAbs(), s.previousValue(), s.lastStep(),
          s.xId(), s.gId(), s.dId(), s.pairIds(), s.pairCurvatures(), s.gamma(), s.gram(), s.directionMaxAbs(), null,
          s.skippedUpdates(), failures, s.nextSuperstep(), s.pending(), null);
      StopReason budget = budgetReason(t); // a search cut short by the budget is not a failure
      if (budget != null) {
        return t.with(null, budget);
      }
      if (failures >= 2 || s.pairIds().length == 0) {
        return t.with(null, StopReason.LINE_SEARCH_FAILED);
      }
      return t.with(restart(t, true), null);
    }
    boolean push = r.curvature() > LbfgsOptions.CURVATURE_THRESHOLD;
    LbfgsState t = new LbfgsState(iteration, s.evaluations(), s.dataPasses(), s.linearMargins(),
        r.value(), r.gradientMaxAbs(), r.gradientSumAbs(), s.value(), r.step(), s.xId(), s.gId(),
        s.dId(), s.pairIds(), s.pairCurvatures(), s.gamma(), s.gram(), s.directionMaxAbs(), null,
        s.skippedUpdates() + (push ? 0 : 1), 0, s.nextSuperstep(), s.pending(), null);
    StopReason reason = convergenceReason(t);
    if (reason == null) {
      reason = budgetReason(t);
    }
    if (reason != null) {
      Superstep finalCommit = new Superstep(t.nextSuperstep(), t.xId(), t.gId(), t.dId(),
          t.pairIds(), t.pairCurvatures(), options.history(), false,
          new Commit(r.id(), r.step(), false), Direction.KEEP, t.gamma(), Double.NaN, null,
          Double.NaN, -1, null);
      return t.with(finalCommit, reason);
    }
    int pairsAfter = GramMatrix.pairsAfter(t.pairIds().length, options.history(), push);
    double gamma = push ? r.curvature() / r.yNormSquared() : t.gamma();
    Direction direction;
    if (pairsAfter == 0) {
      direction = Direction.STEEPEST;
    } else if (options.directionMethod() == DirectionMethod.VECTOR_FREE) {
      direction = Direction.VECTOR_FREE;
    } else {
      direction = Direction.TWO_LOOP;
    }
    Superstep next = new Superstep(t.nextSuperstep(), t.xId(), t.gId(), t.dId(), t.pairIds(),
        t.pairCurvatures(), options.history(), false, new Commit(r.id(), r.step(), push), direction,
        gamma, push ? r.curvature() : Double.NaN,
        direction == Direction.VECTOR_FREE ? t.gram() : null, 1, t.evaluations(),
        newDirectionRule(t));
    return t.with(next, null);
  }

  private StopReason convergenceReason(LbfgsState t) {
    if (t.gradientMaxAbs() <= options.gradientTolerance()) {
      return StopReason.GRADIENT_TOLERANCE;
    }
    if (t.lastStep() * t.directionMaxAbs() <= options.progressTolerance()) {
      return StopReason.STEP_TOLERANCE;
    }
    if (Math.abs(t.value() - t.previousValue()) < options.progressTolerance()) {
      return StopReason.FUNCTION_TOLERANCE;
    }
    return null;
  }

  private StopReason budgetReason(LbfgsState t) {
    if (t.evaluations() >= options.maxEvaluations()) {
      return StopReason.MAX_EVALUATIONS;
    }
    if (t.iteration() >= options.maxIterations()) {
      return StopReason.MAX_ITERATIONS;
    }
    return null;
  }

  /** Steepest descent with the first-iteration step, optionally forgetting the history. */
  private Superstep restart(LbfgsState t, boolean reset) {
    double step = Math.min(1, 1 / t.gradientSumAbs());
    return new Superstep(t.nextSuperstep(), t.xId(), t.gId(), t.dId(), t.pairIds(),
        t.pairCurvatures(), options.history(), reset, null, Direction.STEEPEST, 1, Double.NaN, null,
        step, t.evaluations(), newDirectionRule(t));
  }

  /**
   * The gradient rule of the first trial along a new direction from the current point (its slope
   * g&middot;d is reduced in that superstep), or null without cached margins.
   */
  private Superstep.GradientRule newDirectionRule(LbfgsState t) {
    return t.linearMargins()
        ? new Superstep.GradientRule(t.value(), Double.NaN, options.c1(), options.c2()) : null;
  }

  /** The next trial of the line search under way. */
  private Superstep keep(LbfgsState t, StrongWolfeLineSearch search) {
    return new Superstep(t.nextSuperstep(), t.xId(), t.gId(), t.dId(), t.pairIds(),
        t.pairCurvatures(), options.history(), false, null, Direction.KEEP, t.gamma(), Double.NaN,
        null, search.nextStep(), t.evaluations(), t.linearMargins() ? search.gradientRule() : null);
  }

  /** The trial at {@code step} again, with its gradient forced. */
  private Superstep reevaluate(LbfgsState t, double step) {
    return new Superstep(t.nextSuperstep(), t.xId(), t.gId(), t.dId(), t.pairIds(),
        t.pairCurvatures(), options.history(), false, null, Direction.KEEP, t.gamma(), Double.NaN,
        null, step, t.evaluations(), null);
  }

  private static LbfgsState counted(LbfgsState s, int evaluations) {
    return withSearch(s, evaluations, null);
  }

  private static LbfgsState withSearch(LbfgsState s, int evaluations,
      StrongWolfeLineSearch search) {
    return new LbfgsState(s.iteration(), evaluations, s.dataPasses(), s.linearMargins(), s.value(),
        s.gradientMaxAbs(), s.gradientSumAbs(), s.previousValue(), s.lastStep(), s.xId(), s.gId(),
        s.dId(), s.pairIds(), s.pairCurvatures(), s.gamma(), s.gram(), s.directionMaxAbs(), search,
        s.skippedUpdates(), s.lineSearchFailures(), s.nextSuperstep(), s.pending(), null);
  }
}
