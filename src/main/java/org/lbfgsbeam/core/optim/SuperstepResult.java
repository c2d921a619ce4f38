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
 */
public record SuperstepResult(long number, TrialPoint trial, double initialSlope,
    double directionMaxAbs, double[] gramDots) implements Serializable {}
