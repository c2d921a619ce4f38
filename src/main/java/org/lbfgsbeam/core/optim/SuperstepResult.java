package org.lbfgsbeam.core.optim;

import java.io.Serializable;

/**
 * The globally reduced scalars a superstep returns to the coordinator.
 *
 * @param number the superstep's number
 * @param trial the trial evaluation, or null when the superstep had none
 * @param initialSlope g&middot;d with g the current gradient (after the commit) and d the direction
 * @param directionMaxAbs max|d|
 * @param gramDots the new Gram entries (vector-free supersteps that form a direction), else null
 * @param linearMargins whether the executor's objective has margins linear in the weights
 *     ({@code PartitionedObjective.linearMargins()}), so that it keeps margins and evaluates trials
 *     from them; the coordinator reads it from the start point's result to count data passes and to
 *     issue {@link Superstep.GradientRule}s
 */
public record SuperstepResult(long number, TrialPoint trial, double initialSlope,
    double directionMaxAbs, double[] gramDots, boolean linearMargins) implements Serializable {

  /** A result of an executor without cached margins. */
  public SuperstepResult(long number, TrialPoint trial, double initialSlope, double directionMaxAbs,
      double[] gramDots) {
    this(number, trial, initialSlope, directionMaxAbs, gramDots, false);
  }
}
