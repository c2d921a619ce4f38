package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The two-phase, per-block step protocol of {@link MomentumLbfgs}: block-wise runs against one-block
 * runs, the SGD warm-up and the moving averages against hand computation, the pair formation, weight
 * decay, the bytes held, and misuse of the protocol.
 */
class MomentumLbfgsProtocolTest {

  /** A deterministic "mini-batch" gradient: a diagonal quadratic plus a fixed pseudo-noise. */
  static double[] gradient(double[] theta, int step) {
    double[] g = new double[theta.length];
    for (int i = 0; i < theta.length; i++) {
      double a = 0.2 + 0.15 * (i % 6);
      g[i] = a * theta[i] + 0.05 * Math.sin(1.7 * step + 0.9 * (i % 6));
    }
    return g;
  }

  /**
   * Runs {@code steps} steps on the blocks {@code theta} (changed in place), the gradient of the whole
   * vector being {@link #gradient} of the concatenated blocks. With {@code globalReduction} false each
   * block is (wrongly) given its own partials as the reduced values. Returns the states; {@code
   * logScale[0]} is set to the largest |ln c| of the steps' scales c.
   */
  static MlbfgsState[] run(MomentumLbfgs opt, double[][] theta, int steps, double lr,
      boolean globalReduction, double[] logScale) {
    MlbfgsState[] states = new MlbfgsState[theta.length];
    for (int b = 0; b < theta.length; b++) {
      states[b] = opt.init(b, theta[b].clone());
    }
    logScale[0] = 0;
    for (int t = 0; t < steps; t++) {
      double[] g = gradient(concat(theta), t);
      double[][] gb = split(g, theta);
      double[][] parts = new double[theta.length][];
      double[] reduced = new double[opt.partialCount()];
      for (int b = 0; b < theta.length; b++) {
        parts[b] = opt.partials(t, states[b], theta[b], gb[b]);
        for (int k = 0; k < reduced.length; k++) {
          reduced[k] += parts[b][k];
        }
      }
      logScale[0] = Math.max(logScale[0], Math.abs(Math.log(opt.scale(t, reduced))));
      for (int b = 0; b < theta.length; b++) {
        opt.update(t, states[b], theta[b], gb[b], globalReduction ? reduced : parts[b], lr);
      }
    }
    return states;
  }

  static double[] concat(double[][] blocks) {
    return Arrays.stream(blocks).flatMapToDouble(Arrays::stream).toArray();
  }

  static double[][] split(double[] x, double[][] like) {
    double[][] out = new double[like.length][];
    int from = 0;
    for (int b = 0; b < like.length; b++) {
      out[b] = Arrays.copyOfRange(x, from, from + like[b].length);
      from += like[b].length;
    }
    return out;
  }

  /**
   * Two identical halves u, u: on one block of (u, u) every block sum of the algorithm is twice that of
   * a half, so &mu;, &tau;, H<sub>0</sub>, the two-loop coefficients and the direction on each half are
   * those of a block u; only the global scale differs between one and two blocks if the reduction
   * were not global. The gradient of the (u, u) problem keeps the halves identical.
   */
  @Test
  void twoBlocksEqualOneBlockWhenTheScaleIsGlobal() {
    double[] u = {1.0, -0.5, 2.0, 0.3, -1.2, 0.8};
    for (MomentumLbfgs.DirectionScaling scaling : MomentumLbfgs.DirectionScaling.values()) {
      // kappa small enough that the KL clip binds, so that its sum over the blocks matters.
      MomentumLbfgs opt = MomentumLbfgs.defaults().withBeta(0.9).withPairPeriod(5).withHistory(3)
          .withScaling(scaling).withKlClip(1e-3);
      int steps = 60;
      double[] logScaleOne = new double[1];
      double[][] one = {concat(new double[][] {u, u})};
      MlbfgsState[] s1 = run(opt, one, steps, 0.05, true, logScaleOne);
      double[] logScaleTwo = new double[1];
      double[][] two = {u.clone(), u.clone()};
      MlbfgsState[] s2 = run(opt, two, steps, 0.05, true, logScaleTwo);

      assertTrue(logScaleOne[0] > 0.5, scaling + ": the scale must matter, max |ln c| " + logScaleOne[0]);
      assertTrue(s1[0].storedPairs() >= 5, scaling + ": pairs stored " + s1[0].storedPairs());
      double[] flatTwo = concat(two);
      for (int i = 0; i < flatTwo.length; i++) {
        assertEquals(one[0][i], flatTwo[i], 1e-12 * Math.max(1, Math.abs(one[0][i])),
            scaling + " entry " + i);
      }
      assertEquals(s1[0].storedPairs(), s2[0].storedPairs());
      assertEquals(s1[0].storedPairs(), s2[1].storedPairs());

      // The same run with each block scaled by its own partials differs: the test is sensitive.
      double[][] local = {u.clone(), u.clone()};
      run(opt, local, steps, 0.05, false, new double[1]);
      double diff = 0;
      double[] flatLocal = concat(local);
      for (int i = 0; i < flatLocal.length; i++) {
        diff = Math.max(diff, Math.abs(flatLocal[i] - one[0][i]));
      }
      assertTrue(diff > 1e-6, scaling + ": block-local scaling should differ, max diff " + diff);
    }
  }

  @Test
  void warmUpIsHeavyBallSgdAndBlockwiseExact() {
    MomentumLbfgs opt = MomentumLbfgs.defaults().withPairPeriod(4).withMomentum(0.8);
    int warmUp = (int) opt.firstQuasiNewtonStep(); // 7 steps: 0..6
    assertEquals(7, warmUp);
    double lr = 0.1;
    double[] x = {0.5, -1, 2, 0.25, 1.5, -0.75, 0.1};
    // by hand: v = 0.8 v + g, theta -= lr v
    double[] expected = x.clone();
    double[] v = new double[x.length];
    for (int t = 0; t < warmUp; t++) {
      double[] g = gradient(expected, t);
      for (int i = 0; i < x.length; i++) {
        v[i] = 0.8 * v[i] + g[i];
        expected[i] -= lr * v[i];
      }
    }
    double[][] one = {x.clone()};
    MlbfgsState[] s1 = run(opt, one, warmUp, lr, true, new double[1]);
    double[][] three = {Arrays.copyOfRange(x, 0, 3), Arrays.copyOfRange(x, 3, 4),
        Arrays.copyOfRange(x, 4, 7)};
    run(opt, three, warmUp, lr, true, new double[1]);
    assertArrayEquals(expected, one[0], 0);
    assertArrayEquals(expected, concat(three), 0);
    assertArrayEquals(v, s1[0].velocity(), 0);
    // pair points are t = 3 (a reference only) and t = 7 = 2T-1, the first quasi-Newton step
    assertEquals(0, s1[0].pairCount());
    assertEquals(0, s1[0].skippedPairs());
  }

  @Test
  void movingAveragesAndPairsFollowTheFormulas() {
    double beta = 0.5;
    MomentumLbfgs opt = MomentumLbfgs.defaults().withBeta(beta).withPairPeriod(2).withTau0(1);
    double[] theta = {1, -2};
    MlbfgsState st = opt.init(0, theta);
    double[][] thetas = new double[4][];
    double[][] grads = new double[4][];
    for (int t = 0; t < 4; t++) {
      thetas[t] = theta.clone();
      grads[t] = new double[] {0.6 * theta[0], 0.9 * theta[1]};
      double[] p = opt.partials(t, st, theta, grads[t]);
      opt.update(t, st, theta, grads[t], p, 0.1);
    }
    // M_0 = x_0, M_t = 0.5 M_{t-1} + 0.5 x_t
    double[] mTheta = thetas[0].clone();
    double[] mGrad = grads[0].clone();
    double[][] mThetaAt = new double[4][];
    double[][] mGradAt = new double[4][];
    mThetaAt[0] = mTheta.clone();
    mGradAt[0] = mGrad.clone();
    for (int t = 1; t < 4; t++) {
      for (int i = 0; i < 2; i++) {
        mTheta[i] = beta * mTheta[i] + (1 - beta) * thetas[t][i];
        mGrad[i] = beta * mGrad[i] + (1 - beta) * grads[t][i];
      }
      mThetaAt[t] = mTheta.clone();
      mGradAt[t] = mGrad.clone();
    }
    assertArrayEquals(mTheta, st.averageTheta(), 0);
    assertArrayEquals(mGrad, st.averageGradient(), 0);
    // pair points t = 1 (reference) and t = 3: s = M_3 - M_1, y = M^g_3 - M^g_1 (damped to y^).
    assertEquals(1, st.pairCount());
    double[] s = {mThetaAt[3][0] - mThetaAt[1][0], mThetaAt[3][1] - mThetaAt[1][1]};
    double[] y = {mGradAt[3][0] - mGradAt[1][0], mGradAt[3][1] - mGradAt[1][1]};
    assertArrayEquals(s, st.s(0), 0);
    assertArrayEquals(opt.dampedY(s, y), st.yHat(0), 0);
    assertEquals(4, st.steps());
  }

  @Test
  void weightDecayIsCoupledIntoTheGradient() {
    double lambda = 0.1;
    MomentumLbfgs opt = MomentumLbfgs.defaults().withWeightDecay(lambda);
    double[] theta = {2, -4};
    double[] g = {0.5, 1};
    MlbfgsState st = opt.init(0, theta);
    double[] p = opt.partials(0, st, theta, g);
    // g~ = g + 0.1 theta = (0.7, 0.6); warm-up: d = g~, partials [d.g~, d.d].
    assertArrayEquals(new double[] {0.7, 0.6}, st.averageGradient(), 1e-15);
    assertArrayEquals(new double[] {0.85, 0.85}, p, 1e-15);
    opt.update(0, st, theta, g, p, 1.0);
    assertArrayEquals(new double[] {2 - 0.7, -4 - 0.6}, theta, 1e-15);
  }

  @Test
  void bytesCountWhatIsHeld() {
    int n = 7;
    int m = 3;
    MomentumLbfgs opt = MomentumLbfgs.defaults().withHistory(m).withTau0(1);
    MlbfgsState st = opt.init(0, new double[n]);
    assertEquals(8L * (6 * n + 3 * m), st.bytes());
    double[] s = new double[n];
    Arrays.fill(s, 1);
    opt.offerPair(st, s, s);
    assertEquals(8L * (6 * n + 3 * m + 2 * n), st.bytes());
    for (int k = 0; k < 5; k++) {
      opt.offerPair(st, s, s);
    }
    assertEquals(8L * ((2 * m + 6) * n + 3 * m), st.bytes());
  }

  @Test
  void protocolMisuseIsRejected() {
    MomentumLbfgs opt = MomentumLbfgs.defaults();
    double[] theta = {1, 2};
    double[] g = {0.1, 0.2};
    MlbfgsState st = opt.init(0, theta);
    assertThrows(IllegalArgumentException.class,
        () -> opt.update(0, st, theta, g, new double[2], 0.1), "update before partials");
    assertThrows(IllegalArgumentException.class, () -> opt.partials(1, st, theta, g),
        "a step out of order");
    double[] p = opt.partials(0, st, theta, g);
    assertThrows(IllegalArgumentException.class, () -> opt.partials(0, st, theta, g),
        "partials twice");
    assertThrows(IllegalArgumentException.class,
        () -> opt.update(0, st, theta, g, new double[1], 0.1), "reduced of the wrong length");
    assertThrows(IllegalArgumentException.class,
        () -> opt.update(0, st, theta, g, p, Double.NaN), "a NaN learning rate");
    assertThrows(IllegalArgumentException.class,
        () -> opt.update(0, st, new double[3], new double[3], p, 0.1), "a wrong block length");
    OptimizerState foreign = () -> 0L;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> opt.partials(0, foreign, theta, g));
    assertTrue(e.getMessage().contains("MlbfgsState"), e.getMessage());
    opt.update(0, st, theta, g, p, 0.1);
    assertFalse(st.pairCount() > 0);
    assertEquals(1, st.steps());
  }
}
