package org.lbfgsbeam.transforms;

import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.optim.TrialPoint;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * A {@link SuperstepResult} as a flat double[] (stored as one block by {@link BlockFiles}, so that the
 * driver reads back exactly the bits the pipeline reduced).
 *
 * <p>Layout: [trial id, step, f, g<sub>t</sub>&middot;d, s&middot;y, y&middot;y, max|g<sub>t</sub>|,
 * &Sigma;|g<sub>t</sub>|, g&middot;d, max|d|, number of Gram entries, Gram entries&hellip;].
 */
final class SuperstepResultCodec {
  private static final int FIXED = 11;

  private SuperstepResultCodec() {}

  /** Encodes a trial's reduced scalars ({@link BlockKernels#combineLineSearchPartials} layout). */
  static double[] encode(long trialId, double step, double value, double[] lineSearch,
      double[] gramDots) {
    int g = gramDots == null ? 0 : gramDots.length;
    double[] out = new double[FIXED + g];
    out[0] = trialId;
    out[1] = step;
    out[2] = value;
    out[3] = lineSearch[BlockKernels.SLOPE];
    out[4] = lineSearch[BlockKernels.CURVATURE];
    out[5] = lineSearch[BlockKernels.Y_NORM_SQUARED];
    out[6] = lineSearch[BlockKernels.GRADIENT_MAX_ABS];
    out[7] = lineSearch[BlockKernels.GRADIENT_SUM_ABS];
    out[8] = lineSearch[BlockKernels.INITIAL_SLOPE];
    out[9] = lineSearch[BlockKernels.DIRECTION_MAX_ABS];
    out[10] = gramDots == null ? -1 : g;
    if (gramDots != null) {
      System.arraycopy(gramDots, 0, out, FIXED, g);
    }
    return out;
  }

  static SuperstepResult decode(long number, double[] r) {
    TrialPoint trial = TrialPoint.of((long) r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    double[] gram = null;
    if (r[10] >= 0) {
      gram = java.util.Arrays.copyOfRange(r, FIXED, FIXED + (int) r[10]);
    }
    return new SuperstepResult(number, trial, r[8], r[9], gram);
  }
}
