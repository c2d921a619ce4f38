package org.lbfgsbeam.core.exec;

import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.optim.TrialPoint;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * The per-block steps and reductions of a trial evaluation, shared by every executor (in process, the
 * Beam superstep, the Flink iteration) so that all of them form the same bits. Two paths:
 *
 * <ul>
 *   <li><b>full</b> (the start point, and every trial of an objective without linear margins):
 *       margins of x<sub>t</sub> (a data pass), statistics combined in block order, each block's
 *       gradient (a data pass) and {@link BlockKernels#lineSearchPartials}, reduced in block order;
 *       f = data loss + the blocks' shares; {@link #fullResult}.</li>
 *   <li><b>cached</b> (a later trial with linear margins): margins z<sub>x</sub> + t&middot;z<sub>d</sub>
 *       ({@link BlockKernels#trialPoint}), statistics combined in block order, then
 *       {@link #slopePartials} per block reduced by {@link #reduceSlopePartials} into f, &phi;'(t),
 *       g&middot;d and max|d| (no data pass); then, only if {@link Superstep#needsGradient} holds for
 *       those, each block's gradient and line-search partials as on the full path;
 *       {@link #cachedResult}.</li>
 * </ul>
 * On the cached path the slope &phi;'(t) is always the reduced {@code directionalDerivative}, also when
 * the gradient is computed, so a trial re-evaluated with its gradient has the same f and slope bits.
 */
public final class TrialKernels {
  /** Layout of {@link #slopePartials} and of {@link #reduceSlopePartials}'s result. */
  public static final int VALUE = 0;
  public static final int SLOPE = 1;
  public static final int INITIAL_SLOPE = 2;
  public static final int DIRECTION_MAX_ABS = 3;
  public static final int SLOPE_PARTIALS = 4;

  private TrialKernels() {}

  /**
   * The block's scalars of a cached-margins trial: [its share of f, its part of
   * &nabla;f(x<sub>t</sub>)&middot;d, its part of g&middot;d, max|d<sub>b</sub>|].
   *
   * @param xt the block of x + t&middot;d
   * @param zt its margins, z<sub>x</sub> + t&middot;z<sub>d</sub>
   * @param zd the margins of d
   * @param broadcast what the combine of zt's statistics broadcast
   * @param g the current gradient's block
   * @param d the direction's block
   */
  public static double[] slopePartials(PartitionedObjective objective, int block, double[] xt,
      double[] zt, double[] zd, double[] broadcast, double[] g, double[] d) {
    double dMax = 0;
    for (double v : d) {
      dMax = Math.max(dMax, Math.abs(v));
    }
    return new double[] {
        objective.valueShare(block, xt, zt, broadcast),
        objective.directionalDerivative(block, xt, zt, zd, broadcast, d),
        BlockKernels.dot(g, d),
        dMax};
  }

  /**
   * {@link #slopePartials} at x + t&middot;d without forming the point ({@link
   * PartitionedObjective#valueShareAtTrial}, {@link
   * PartitionedObjective#directionalDerivativeAtTrial}): the same bits, one vector fewer.
   */
  public static double[] slopePartialsAtTrial(PartitionedObjective objective, int block,
      double[] x, double t, double[] zt, double[] zd, double[] broadcast, double[] g,
      double[] d) {
    return objective.slopePartialsAtTrial(block, x, t, d, zt, zd, broadcast, g);
  }

  /**
   * [f, &phi;'(t), g&middot;d, max|d|] from the data loss and all blocks' {@link #slopePartials} in
   * block order: f = data loss + share<sub>0</sub> + share<sub>1</sub> + &hellip; (as on the full
   * path), the sums from 0, max|d| by {@link Math#max} (which propagates NaN).
   */
  public static double[] reduceSlopePartials(double dataLoss, double[][] partials) {
    double f = dataLoss;
    double slope = 0;
    double initialSlope = 0;
    double dMax = 0;
    for (double[] p : partials) {
      f += p[VALUE];
      slope += p[SLOPE];
      initialSlope += p[INITIAL_SLOPE];
      dMax = Math.max(dMax, p[DIRECTION_MAX_ABS]);
    }
    return new double[] {f, slope, initialSlope, dMax};
  }

  /**
   * The result of a superstep whose trial took the full path.
   *
   * @param value f = data loss + the blocks' shares (from the gradient), added in block order
   * @param lineSearch {@link BlockKernels#combineLineSearchPartials} of all blocks
   * @param linearMargins the objective's {@code linearMargins()}
   */
  public static SuperstepResult fullResult(Superstep step, double value, double[] lineSearch,
      double[] gramDots, boolean linearMargins) {
    TrialPoint trial = TrialPoint.of(step.trialId(), step.trialStep(), value,
        lineSearch[BlockKernels.SLOPE], lineSearch[BlockKernels.CURVATURE],
        lineSearch[BlockKernels.Y_NORM_SQUARED], lineSearch[BlockKernels.GRADIENT_MAX_ABS],
        lineSearch[BlockKernels.GRADIENT_SUM_ABS]);
    return new SuperstepResult(step.number(), trial, lineSearch[BlockKernels.INITIAL_SLOPE],
        lineSearch[BlockKernels.DIRECTION_MAX_ABS], gramDots, linearMargins);
  }

  /**
   * The result of a superstep whose trial took the cached path.
   *
   * @param slope {@link #reduceSlopePartials}
   * @param lineSearch {@link BlockKernels#combineLineSearchPartials} of all blocks when the gradient
   *     pass ran, else null (only its curvature, y&middot;y and gradient norms are read)
   */
  public static SuperstepResult cachedResult(Superstep step, double[] slope, double[] lineSearch,
      double[] gramDots) {
    TrialPoint trial = lineSearch == null
        ? TrialPoint.withoutGradient(step.trialId(), step.trialStep(), slope[VALUE], slope[SLOPE])
        : TrialPoint.of(step.trialId(), step.trialStep(), slope[VALUE], slope[SLOPE],
            lineSearch[BlockKernels.CURVATURE], lineSearch[BlockKernels.Y_NORM_SQUARED],
            lineSearch[BlockKernels.GRADIENT_MAX_ABS], lineSearch[BlockKernels.GRADIENT_SUM_ABS]);
    return new SuperstepResult(step.number(), trial, slope[INITIAL_SLOPE],
        slope[DIRECTION_MAX_ABS], gramDots, true);
  }

  /** Whether the trial of {@code step} takes the cached path for an objective with these margins. */
  public static boolean cached(Superstep step, boolean linearMargins) {
    return linearMargins && step.hasTrial() && step.direction() != Superstep.Direction.NONE;
  }
}
