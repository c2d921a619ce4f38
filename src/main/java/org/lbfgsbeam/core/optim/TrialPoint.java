package org.lbfgsbeam.core.optim;

import java.io.Serializable;

/**
 * What one objective evaluation at a trial point x + t&middot;d tells the coordinator: all globally
 * reduced scalars, nothing of size n. The gradient itself stays in the partitions, under {@link #id()}.
 *
 * <p>A trial evaluated from cached margins (see {@link Superstep.GradientRule}) may have no gradient:
 * then only f and the slope are known ({@link #hasGradient()} false; curvature, y&middot;y and the
 * gradient norms are NaN, and no gradient is stored under its id). The line search reads only f and the
 * slope of such a trial; the coordinator re-evaluates it with the gradient before moving to it.
 *
 * @param id the evaluation's number in the run (0 is the start point); names its stored gradient
 * @param step t, the step along the current direction (0 for the start point)
 * @param value f(x + t&middot;d), or +&infin; when the evaluation was not finite
 * @param slope &nabla;f(x + t&middot;d)&middot;d, the directional derivative at the trial point
 * @param curvature s&middot;y with s = t&middot;d and y = g<sub>t</sub> &minus; g
 * @param yNormSquared y&middot;y
 * @param gradientMaxAbs max|g<sub>t</sub>|, the &infin;-norm of the trial gradient
 * @param gradientSumAbs &Sigma;|g<sub>t</sub>|, its 1-norm
 * @param finite whether f, the slope and (when computed) every gradient entry were finite
 * @param hasGradient whether the gradient was computed (and is stored under {@link #id()})
 */
public record TrialPoint(long id, double step, double value, double slope, double curvature,
    double yNormSquared, double gradientMaxAbs, double gradientSumAbs, boolean finite,
    boolean hasGradient) implements Serializable {

  /**
   * An evaluation with its gradient, the value replaced by +&infin; when it is not finite.
   */
  public static TrialPoint of(long id, double step, double value, double slope, double curvature,
      double yNormSquared, double gradientMaxAbs, double gradientSumAbs) {
    boolean ok = Double.isFinite(value) && Double.isFinite(slope) && Double.isFinite(gradientMaxAbs)
        && Double.isFinite(gradientSumAbs);
    return new TrialPoint(id, step, ok ? value : Double.POSITIVE_INFINITY, slope, curvature,
        yNormSquared, gradientMaxAbs, gradientSumAbs, ok, true);
  }

  /**
   * An evaluation of f and the slope only (no gradient pass), the value replaced by +&infin; when
   * either is not finite.
   */
  public static TrialPoint withoutGradient(long id, double step, double value, double slope) {
    boolean ok = Double.isFinite(value) && Double.isFinite(slope);
    return new TrialPoint(id, step, ok ? value : Double.POSITIVE_INFINITY, slope, Double.NaN,
        Double.NaN, Double.NaN, Double.NaN, ok, false);
  }
}
