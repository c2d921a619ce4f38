package org.lbfgsbeam.core.optim;

import java.io.Serializable;

/**
 * The coordinator's immutable state between two supersteps: every scalar of the run, the ids of the
 * vectors the partitions hold, and the {@link #pending()} superstep to run next (null once stopped).
 * It is small (no vector of size n) and is what a driver saves to resume a run.
 *
 * @param iteration completed iterations (line searches)
 * @param evaluations objective evaluations so far, the start point included: every trial whose f was
 *     reduced, with or without its gradient, and every forced re-evaluation of a trial
 * @param dataPasses passes over the training data so far, as {@link LbfgsCoordinator#dataPasses}
 *     counts them from the supersteps issued and their results
 * @param linearMargins whether the executor keeps margins (its objective's margins are linear in w),
 *     as the start point's result said; false before it
 * @param value f at the current point
 * @param gradientMaxAbs max|g| at the current point
 * @param gradientSumAbs &Sigma;|g| at the current point
 * @param previousValue f before the last accepted step (NaN before the first)
 * @param lastStep t of the last accepted step (NaN before the first)
 * @param xId id of the current point
 * @param gId evaluation id of the current gradient
 * @param dId id of the current direction, -1 for none
 * @param pairIds stored (s, y) pairs, oldest first
 * @param pairCurvatures their s&middot;y
 * @param gamma H<sub>0</sub> scaling &gamma; = s&middot;y / y&middot;y of the newest pair (1 before any)
 * @param gram the vector-free Gram matrix (null for the two-loop method)
 * @param directionMaxAbs max|d| of the current direction
 * @param lineSearch the line search under way, or null
 * @param skippedUpdates pairs skipped because s&middot;y &le; 1e-10
 * @param lineSearchFailures consecutive failed line searches
 * @param nextSuperstep the number of the next superstep
 * @param pending the superstep to run next, or null when the run has stopped
 * @param stopReason why the run stops (set as soon as it is decided, possibly with a final commit
 *     still pending), or null
 */
public record LbfgsState(int iteration, int evaluations, int dataPasses, boolean linearMargins,
    double value, double gradientMaxAbs, double gradientSumAbs, double previousValue,
    double lastStep, long xId, long gId, long dId, long[] pairIds, double[] pairCurvatures,
    double gamma, GramMatrix gram, double directionMaxAbs, StrongWolfeLineSearch lineSearch,
    int skippedUpdates, int lineSearchFailures, long nextSuperstep, Superstep pending,
    StopReason stopReason) implements Serializable {

  /** Whether the run has stopped and nothing is pending. */
  public boolean finished() {
    return pending == null;
  }

  LbfgsState with(Superstep next, StopReason reason) {
    return new LbfgsState(iteration, evaluations, dataPasses, linearMargins, value,
        gradientMaxAbs, gradientSumAbs, previousValue, lastStep, xId, gId, dId, pairIds,
        pairCurvatures, gamma, gram, directionMaxAbs, lineSearch, skippedUpdates,
        lineSearchFailures, next == null ? nextSuperstep : next.number() + 1, next, reason);
  }
}
