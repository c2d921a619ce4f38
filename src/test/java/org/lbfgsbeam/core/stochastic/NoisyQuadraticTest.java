package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The motivating case of mL-BFGS (Niu et al., TMLR 2023): on a noisy quadratic, curvature pairs from
 * raw iterates and gradients are dominated by the gradient noise and the quasi-Newton steps become
 * erratic, while pairs from moving averages keep the curvature and the iterates settle near the optimum.
 *
 * <p>Problem: f(&theta;) = &frac12;&theta;<sup>T</sup>A&theta;, n = 50, A = diag(a<sub>i</sub>),
 * a<sub>i</sub> = 0.01&middot;100<sup>i/49</sup> (condition number 100; the scale puts the curvatures
 * inside the damping bounds [&sigma;<sub>L</sub>, &sigma;<sub>H</sub>] = [0.01, 1.5] of the defaults,
 * which are set for network training), &theta;<sub>0</sub> = (1, &hellip;, 1), optimum 0. The gradient
 * at step t is g = A(&theta; &minus; &zeta;<sub>t</sub>), &zeta;<sub>t</sub> ~ N(0, 0.1&sup2;I): the
 * gradient of a mini-batch loss &frac12;(&theta; &minus; &zeta;)<sup>T</sup>A(&theta; &minus; &zeta;) whose
 * minimiser is random, so E g = A&theta;. Both runs draw the same &zeta; sequence from the same seed.
 *
 * <p>Optimisers: the defaults (M = 10, &mu;<sub>m</sub> = 0.9, the damping and &epsilon; of the paper's
 * code) with T = 10 and a KL bound &kappa; = 1e6 that never binds, so that the step is the plain
 * preconditioned heavy-ball step and the runs differ only in their pairs: mL-BFGS with &beta; = 0.999
 * (the authors' setting) against stochastic L-BFGS with &beta; = 0 (pairs from the raw &theta; and g,
 * otherwise the same class). Learning rate 0.01, 2000 steps; the measure is the mean distance
 * |&theta;| over the last 500.
 *
 * <p>Margins (checked when the test was written, 100 seeds per setting): mL-BFGS ends at
 * 0.106&ndash;0.124 and the ratio raw / mL-BFGS is at least 36 (median about 2000; for the three seeds
 * used here mL-BFGS ends at 0.112&ndash;0.115 and raw at 67&ndash;337). The smallest ratio stays above
 * 35 at 3000 steps, for &sigma; = 0.05, learning rates 0.007 and 0.014, M = 5 and 20, and T = 15. The
 * asserted 10&times; is therefore far from the edge. Not asserted: run long after the averaged iterate
 * has stopped drifting (4000 steps here), the averaged pairs become noise-dominated as well and, with
 * the clip off, mL-BFGS too has occasional bursts in some seeds; a binding KL clip keeps them small.
 */
class NoisyQuadraticTest {
  private static final int N = 50;
  private static final double NOISE = 0.1;
  private static final double LEARNING_RATE = 0.01;
  private static final int STEPS = 2000;
  private static final int LAST = 500;

  /** The mean of |&theta;| over the last {@link #LAST} of {@link #STEPS} steps, noise from {@code seed}. */
  static double meanFinalDistance(MomentumLbfgs opt, long seed) {
    double[] a = new double[N];
    for (int i = 0; i < N; i++) {
      a[i] = 0.01 * Math.pow(100, i / (double) (N - 1));
    }
    double[] theta = new double[N];
    Arrays.fill(theta, 1.0);
    OptimizerState state = opt.init(0, theta);
    Random random = new Random(seed);
    double[] g = new double[N];
    double sum = 0;
    for (int t = 0; t < STEPS; t++) {
      for (int i = 0; i < N; i++) {
        g[i] = a[i] * (theta[i] - NOISE * random.nextGaussian());
      }
      double[] reduced = opt.partials(t, state, theta, g);
      opt.update(t, state, theta, g, reduced, LEARNING_RATE);
      if (t >= STEPS - LAST) {
        double norm2 = 0;
        for (double x : theta) {
          norm2 += x * x;
        }
        sum += Math.sqrt(norm2);
      }
    }
    return sum / LAST;
  }

  @Test
  void momentumPairsEndTenTimesNearerTheOptimumThanRawPairs() {
    MomentumLbfgs mlbfgs = MomentumLbfgs.defaults().withBeta(0.999).withPairPeriod(10)
        .withKlClip(1e6);
    MomentumLbfgs raw = mlbfgs.withBeta(0);
    double start = Math.sqrt(N);
    for (long seed = 1; seed <= 3; seed++) {
      double withMomentum = meanFinalDistance(mlbfgs, seed);
      double withoutMomentum = meanFinalDistance(raw, seed);
      assertTrue(withMomentum < 0.05 * start,
          "seed " + seed + ": mL-BFGS should settle near the optimum, mean distance " + withMomentum);
      assertTrue(withoutMomentum > 10 * withMomentum,
          "seed " + seed + ": raw pairs " + withoutMomentum + " vs momentum pairs " + withMomentum);
    }
  }
}
