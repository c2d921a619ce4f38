package org.lbfgsbeam.transforms;

import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.optim.TrialPoint;

/**
 * A {@link SuperstepResult} with a trial as a flat double[] (stored as one block by {@link BlockFiles},
 * so that the driver reads back exactly the bits the pipeline reduced). Decoding gives back an equal
 * result, the superstep number aside (it is not stored).
 *
 * <p>Layout: [trial id, step, f, slope, s&middot;y, y&middot;y, max|g<sub>t</sub>|,
 * &Sigma;|g<sub>t</sub>|, finite (1/0), hasGradient (1/0), g&middot;d, max|d|, linearMargins (1/0),
 * number of Gram entries (&minus;1 for none), Gram entries&hellip;].
 */
final class SuperstepResultCodec {
  private static final int FIXED = 14;

  private SuperstepResultCodec() {}

  static double[] encode(SuperstepResult result) {
    TrialPoint t = result.trial();
    double[] gramDots = result.gramDots();
    int g = gramDots == null ? 0 : gramDots.length;
    double[] out = new double[FIXED + g];
    out[0] = t.id();
    out[1] = t.step();
    out[2] = t.value();
    out[3] = t.slope();
    out[4] = t.curvature();
    out[5] = t.yNormSquared();
    out[6] = t.gradientMaxAbs();
    out[7] = t.gradientSumAbs();
    out[8] = t.finite() ? 1 : 0;
    out[9] = t.hasGradient() ? 1 : 0;
    out[10] = result.initialSlope();
    out[11] = result.directionMaxAbs();
    out[12] = result.linearMargins() ? 1 : 0;
    out[13] = gramDots == null ? -1 : g;
    if (gramDots != null) {
      System.arraycopy(gramDots, 0, out, FIXED, g);
    }
    return out;
  }

  static SuperstepResult decode(long number, double[] r) {
    TrialPoint trial = new TrialPoint((long) r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
        r[8] != 0, r[9] != 0);
    double[] gram = null;
    if (r[13] >= 0) {
      gram = java.util.Arrays.copyOfRange(r, FIXED, FIXED + (int) r[13]);
    }
    return new SuperstepResult(number, trial, r[10], r[11], gram, r[12] != 0);
  }
}
