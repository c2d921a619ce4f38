package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link MomentumLbfgs#withFloatHistory}: the pairs stored in float, the two-loop run in single
 * precision. Its direction against the double-history direction with the same offered pairs, and
 * against the dense inverse-BFGS matrix of the stored (rounded) pairs; the pairs as stored; the bytes
 * held; and the noisy quadratic of {@link NoisyQuadraticTest} end to end.
 */
class MomentumLbfgsFloatHistoryTest {

  /** max<sub>j</sub> |a<sub>j</sub> &minus; b<sub>j</sub>| / max<sub>j</sub> |b<sub>j</sub>|. */
  private static double relativeError(double[] a, double[] b) {
    double diff = 0;
    double scale = 0;
    for (int j = 0; j < a.length; j++) {
      diff = Math.max(diff, Math.abs(a[j] - b[j]));
      scale = Math.max(scale, Math.abs(b[j]));
    }
    return diff / scale;
  }

  /**
   * n = 40, M = 5 after the ring wrapped (7 pairs offered, curvature ratios in [0.5, 3] so some are
   * damped): float rounding of the pairs (about 6e-8 relative) and of q in the two-loop leave the
   * direction within 1e-5 relative of the double one; it is not bit-equal, so the float path ran.
   */
  @Test
  void directionMatchesTheDoubleHistory() {
    MomentumLbfgs inDouble = MomentumLbfgs.defaults().withHistory(5);
    MomentumLbfgs inFloat = inDouble.withFloatHistory(true);
    Random r = new Random(17);
    int n = 40;
    MlbfgsState doubleState = inDouble.init(0, new double[n]);
    MlbfgsState floatState = inFloat.init(0, new double[n]);
    assertFalse(doubleState.floatHistory());
    assertTrue(floatState.floatHistory());
    double[][][] p = MomentumLbfgsBlockTwoLoopTest.pairs(r, n, 7);
    for (int i = 0; i < 7; i++) {
      assertTrue(inDouble.offerPair(doubleState, p[0][i], p[1][i]));
      assertTrue(inFloat.offerPair(floatState, p[0][i], p[1][i]));
    }
    assertEquals(5, floatState.pairCount());
    for (int trial = 0; trial < 5; trial++) {
      double[] g = new double[n];
      for (int j = 0; j < n; j++) {
        g[j] = r.nextGaussian();
      }
      double[] dDouble = g.clone();
      doubleState.applyInverseHessian(dDouble);
      double[] dFloat = g.clone();
      floatState.applyInverseHessian(dFloat);
      double error = relativeError(dFloat, dDouble);
      assertTrue(error < 1e-5, "relative difference " + error);
      assertTrue(error > 0, "the float history must have been used");
    }
  }

  /**
   * The stored vectors are the offered s and &ycirc; rounded to float, and the direction is H g for the
   * inverse-BFGS matrix of exactly those vectors (dense, from &gamma;I, &rho; of the rounded vectors),
   * up to the single-precision arithmetic of the two-loop: 1e-5 relative.
   */
  @Test
  void directionIsTheInverseBfgsProductOfTheStoredPairs() {
    MomentumLbfgs opt = MomentumLbfgs.defaults().withHistory(4).withFloatHistory(true);
    Random r = new Random(5);
    int n = 9;
    MlbfgsState state = opt.init(0, new double[n]);
    double[][][] p = MomentumLbfgsBlockTwoLoopTest.pairs(r, n, 6);
    for (int i = 0; i < 6; i++) {
      assertTrue(opt.offerPair(state, p[0][i], p[1][i]));
    }
    double[][] s = new double[4][];
    double[][] yHat = new double[4][];
    for (int i = 0; i < 4; i++) {
      s[i] = state.s(i);
      yHat[i] = state.yHat(i);
      double[] offeredYHat = opt.dampedY(p[0][2 + i], p[1][2 + i]);
      for (int j = 0; j < n; j++) {
        assertEquals((float) p[0][2 + i][j], s[i][j], 0, "s entry " + j);
        assertEquals((float) offeredYHat[j], yHat[i][j], 0, "y^ entry " + j);
      }
    }
    double[] g = new double[n];
    for (int j = 0; j < n; j++) {
      g[j] = r.nextGaussian();
    }
    double sy = 0;
    double yy = 0;
    for (int j = 0; j < n; j++) {
      sy += s[3][j] * yHat[3][j];
      yy += yHat[3][j] * yHat[3][j];
    }
    double[] expected = MomentumLbfgsBlockTwoLoopTest.times(
        MomentumLbfgsBlockTwoLoopTest.denseInverseBfgs(s, yHat, sy / yy), g);
    double[] q = g.clone();
    state.applyInverseHessian(q);
    double error = relativeError(q, expected);
    assertTrue(error < 1e-5, "relative difference " + error);
  }

  @Test
  void bytesCountFloatPairsAndTheFloatVector() {
    int n = 7;
    int m = 3;
    MomentumLbfgs opt = MomentumLbfgs.defaults().withHistory(m).withFloatHistory(true);
    MlbfgsState st = opt.init(0, new double[n]);
    long fixed = 8L * (6 * n + 3 * m) + 4L * n;
    assertEquals(fixed, st.bytes());
    double[] s = new double[n];
    java.util.Arrays.fill(s, 1);
    opt.offerPair(st, s, s);
    assertEquals(fixed + 4L * 2 * n, st.bytes());
    for (int k = 0; k < 5; k++) {
      opt.offerPair(st, s, s);
    }
    assertEquals(fixed + 4L * 2 * m * n, st.bytes());
  }

  /** The same margins as the double history on the noisy quadratic (same seeds). */
  @Test
  void floatHistorySettlesOnTheNoisyQuadratic() {
    MomentumLbfgs mlbfgs = MomentumLbfgs.defaults().withBeta(0.999).withPairPeriod(10)
        .withKlClip(1e6).withFloatHistory(true);
    double start = Math.sqrt(50);
    for (long seed = 1; seed <= 3; seed++) {
      double withFloat = NoisyQuadraticTest.meanFinalDistance(mlbfgs, seed);
      double raw = NoisyQuadraticTest.meanFinalDistance(mlbfgs.withBeta(0), seed);
      assertTrue(withFloat < 0.05 * start, "seed " + seed + ": mean distance " + withFloat);
      assertTrue(raw > 10 * withFloat, "seed " + seed + ": raw " + raw + " vs " + withFloat);
    }
  }

  @Test
  void optionIsOffByDefaultAndPartOfEquality() {
    MomentumLbfgs defaults = MomentumLbfgs.defaults();
    assertFalse(defaults.floatHistory());
    MomentumLbfgs inFloat = defaults.withFloatHistory(true);
    assertTrue(inFloat.floatHistory());
    assertNotEquals(defaults, inFloat);
    assertEquals(defaults, inFloat.withFloatHistory(false));
    assertEquals(defaults.hashCode(), inFloat.withFloatHistory(false).hashCode());
    assertTrue(inFloat.toString().contains("floatHistory=true"), inFloat.toString());
  }
}
