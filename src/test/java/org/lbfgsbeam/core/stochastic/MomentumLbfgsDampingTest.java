package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The damping of {@link MomentumLbfgs} against hand-computed &tau; and &ycirc; in each of its three
 * cases, the skipping of pairs with s<sup>T</sup>&ycirc; &le; &epsilon;, the ring of the newest M
 * pairs, and the validation of the hyperparameters.
 *
 * <p>Defaults: &sigma;<sub>L</sub> = 0.01, &sigma;<sub>H</sub> = 1.5, &tau;<sub>0</sub> = 0.99. The
 * expected values are decimal fractions computed by hand; the tolerance 1e-15 only absorbs their
 * rounding.
 */
class MomentumLbfgsDampingTest {
  private static final double TOL = 1e-15;
  private final MomentumLbfgs opt = MomentumLbfgs.defaults();

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  @Test
  void belowSigmaLowTauLiftsCurvatureToSigmaLow() {
    // s = (2, 0), y = (-1, 1): s.s = 4, s.y = -2, mu = -0.5 <= 0.01.
    // tau = min((1 - 0.01) / (1 + 0.5), 0.99) = 0.66; y^ = 0.66 y + 0.34 s = (0.02, 0.66).
    double[] s = {2, 0};
    double[] y = {-1, 1};
    assertEquals(0.66, opt.dampingTau(-0.5), TOL);
    double[] yHat = opt.dampedY(s, y);
    assertArrayEquals(new double[] {0.02, 0.66}, yHat, TOL);
    assertEquals(opt.sigmaLow(), dot(s, yHat) / dot(s, s), TOL);
  }

  @Test
  void insideBoundsTauIsTau0() {
    // s = (1, 0), y = (0.5, 3): mu = 0.5 in (0.01, 1.5), tau = 0.99;
    // y^ = 0.99 (0.5, 3) + 0.01 (1, 0) = (0.505, 2.97).
    double[] s = {1, 0};
    double[] y = {0.5, 3};
    assertEquals(0.99, opt.dampingTau(0.5), TOL);
    assertArrayEquals(new double[] {0.505, 2.97}, opt.dampedY(s, y), TOL);
  }

  @Test
  void aboveSigmaHighTauLowersCurvatureToSigmaHigh() {
    // s = (1, 0), y = (3, 1): mu = 3 >= 1.5, tau = min(0.5 / 2, 0.99) = 0.25;
    // y^ = 0.25 (3, 1) + 0.75 (1, 0) = (1.5, 0.25), so s.y^ / s.s = 1.5 = sigma_H.
    double[] s = {1, 0};
    double[] y = {3, 1};
    assertEquals(0.25, opt.dampingTau(3), TOL);
    double[] yHat = opt.dampedY(s, y);
    assertArrayEquals(new double[] {1.5, 0.25}, yHat, TOL);
    assertEquals(opt.sigmaHigh(), dot(s, yHat) / dot(s, s), TOL);
  }

  @Test
  void tau0CapsTheCorrection() {
    MomentumLbfgs capped = opt.withTau0(0.5);
    // mu = 0: (1 - 0.01) / 1 = 0.99, capped at 0.5; mu = 1.6: 0.5 / 0.6 = 0.833..., capped at 0.5.
    assertEquals(0.5, capped.dampingTau(0), TOL);
    assertEquals(0.5, capped.dampingTau(1.6), TOL);
    // mu = 5: 0.5 / 4 = 0.125 < 0.5 is not capped.
    assertEquals(0.125, capped.dampingTau(5), TOL);
    // On the bounds both formulas give 1, capped at tau0: the strict tests of the authors' code agree.
    assertEquals(opt.tau0(), opt.dampingTau(opt.sigmaLow()), TOL);
    assertEquals(opt.tau0(), opt.dampingTau(opt.sigmaHigh()), TOL);
  }

  @Test
  void dampedCurvatureStaysInBoundsForAnyMu() {
    double[] s = {1, -2, 0.5};
    double[] w = {0.3, 0.1, -0.7};
    double ss = dot(s, s);
    for (double mu = -50; mu <= 50; mu += 0.37) {
      // y = mu s + w', with w' orthogonal to s, so that s.y / s.s = mu.
      double c = dot(w, s) / ss;
      double[] y = new double[3];
      for (int i = 0; i < 3; i++) {
        y[i] = mu * s[i] + (w[i] - c * s[i]);
      }
      double ratio = dot(s, opt.dampedY(s, y)) / ss;
      assertTrue(ratio >= opt.sigmaLow() - 1e-12 && ratio <= opt.sigmaHigh() + 1e-12,
          "mu " + mu + " gave s.y^/s.s = " + ratio);
    }
  }

  @Test
  void pairAtOrBelowThresholdIsSkippedAndCounted() {
    MomentumLbfgs strict = opt.withCurvatureThreshold(1.0);
    MlbfgsState state = strict.init(0, new double[2]);
    // s = (0.1, 0), y = (0.2, 0): mu = 2, tau = 0.5, y^ = (0.15, 0), s.y^ = 0.015 <= 1.
    assertFalse(strict.offerPair(state, new double[] {0.1, 0}, new double[] {0.2, 0}));
    assertEquals(0, state.pairCount());
    assertEquals(1, state.skippedPairs());
    assertEquals(0, state.storedPairs());
    assertEquals(2.0, state.lastMu(), TOL);
    assertEquals(0.5, state.lastTau(), TOL);
    // s = (10, 0), y = (20, 0): y^ = (15, 0), s.y^ = 150 > 1: stored.
    assertTrue(strict.offerPair(state, new double[] {10, 0}, new double[] {20, 0}));
    assertEquals(1, state.pairCount());
    assertEquals(1, state.skippedPairs());
    assertEquals(1, state.storedPairs());
    assertArrayEquals(new double[] {15, 0}, state.yHat(0), TOL);
    // exactly at the threshold: with tau0 = 1, s = y = (1, 0) gives y^ = y and s.y^ = 1 = epsilon.
    MomentumLbfgs exact = strict.withTau0(1);
    assertFalse(exact.offerPair(state, new double[] {1, 0}, new double[] {1, 0}));
    assertEquals(2, state.skippedPairs());
    assertEquals(1, state.pairCount());
  }

  @Test
  void degenerateAndNonFinitePairsAreSkipped() {
    MlbfgsState state = opt.init(0, new double[2]);
    assertFalse(opt.offerPair(state, new double[] {0, 0}, new double[] {1, 1}));
    assertFalse(opt.offerPair(state, new double[] {1, 0}, new double[] {Double.NaN, 0}));
    assertFalse(opt.offerPair(state, new double[] {1, 0},
        new double[] {Double.POSITIVE_INFINITY, 0}));
    assertEquals(3, state.skippedPairs());
    assertEquals(0, state.pairCount());
  }

  @Test
  void frozenBlockSkipsEveryPairInARun() {
    // Two blocks; the second has zero gradient, so it never moves: s = 0 at every pair point.
    MomentumLbfgs m = opt.withPairPeriod(5).withBeta(0.5);
    double[][] theta = {{1, -1, 2}, {3, 4}};
    MlbfgsState[] states = {m.init(0, theta[0]), m.init(1, theta[1])};
    int steps = 30; // pair points t = 4, 9, ..., 29: six, the first a reference only
    for (int t = 0; t < steps; t++) {
      double[][] g = {{theta[0][0], 2 * theta[0][1], 0.5 * theta[0][2]}, {0, 0}};
      double[] reduced = new double[2];
      for (int b = 0; b < 2; b++) {
        double[] p = m.partials(t, states[b], theta[b], g[b]);
        reduced[0] += p[0];
        reduced[1] += p[1];
      }
      for (int b = 0; b < 2; b++) {
        m.update(t, states[b], theta[b], g[b], reduced, 0.1);
      }
    }
    assertEquals(5, states[1].skippedPairs());
    assertEquals(0, states[1].pairCount());
    assertArrayEquals(new double[] {3, 4}, theta[1], 0);
    assertEquals(5, states[0].storedPairs() + states[0].skippedPairs());
    assertEquals(5, states[0].storedPairs());
  }

  @Test
  void ringKeepsTheNewestPairs() {
    MomentumLbfgs m = opt.withHistory(3).withTau0(1);
    MlbfgsState state = m.init(0, new double[2]);
    for (int k = 1; k <= 5; k++) {
      // mu = 1 inside the bounds and tau0 = 1, so y^ = y.
      assertTrue(m.offerPair(state, new double[] {k, 0}, new double[] {k, 0}));
    }
    assertEquals(3, state.pairCount());
    assertEquals(5, state.storedPairs());
    assertArrayEquals(new double[] {3, 0}, state.s(0), 0);
    assertArrayEquals(new double[] {4, 0}, state.s(1), 0);
    assertArrayEquals(new double[] {5, 0}, state.s(2), 0);
    assertThrows(IllegalArgumentException.class, () -> state.s(3));
  }

  @Test
  void withMethodsValidateAndNameTheBadValue() {
    assertRejects(() -> opt.withBeta(1), "1.0");
    assertRejects(() -> opt.withBeta(-0.1), "-0.1");
    assertRejects(() -> opt.withPairPeriod(0), "0");
    assertRejects(() -> opt.withHistory(0), "0");
    assertRejects(() -> opt.withDampingBounds(1, 2), "1.0");
    assertRejects(() -> opt.withDampingBounds(0.1, 1), "1.0");
    assertRejects(() -> opt.withDampingBounds(0.1, Double.POSITIVE_INFINITY), "Infinity");
    assertRejects(() -> opt.withTau0(0), "0.0");
    assertRejects(() -> opt.withTau0(1.5), "1.5");
    assertRejects(() -> opt.withCurvatureThreshold(-1e-3), "-0.001");
    assertRejects(() -> opt.withMomentum(1), "1.0");
    assertRejects(() -> opt.withWeightDecay(Double.NaN), "NaN");
    assertRejects(() -> opt.withKlClip(0), "0.0");
    assertRejects(() -> opt.withScaling(null), "null");
  }

  @Test
  void withMethodsReturnCopies() {
    MomentumLbfgs changed = opt.withBeta(0.9).withPairPeriod(7).withHistory(4)
        .withDampingBounds(0.05, 2).withTau0(0.8).withCurvatureThreshold(1e-6).withMomentum(0.5)
        .withWeightDecay(1e-4).withScaling(MomentumLbfgs.DirectionScaling.UNIT_NORM).withKlClip(0.1);
    assertEquals(MomentumLbfgs.defaults(), opt);
    assertEquals(0.9, changed.beta());
    assertEquals(7, changed.pairPeriod());
    assertEquals(4, changed.history());
    assertEquals(0.05, changed.sigmaLow());
    assertEquals(2, changed.sigmaHigh());
    assertEquals(0.8, changed.tau0());
    assertEquals(1e-6, changed.curvatureThreshold());
    assertEquals(0.5, changed.momentum());
    assertEquals(1e-4, changed.weightDecay());
    assertEquals(MomentumLbfgs.DirectionScaling.UNIT_NORM, changed.scaling());
    assertEquals(0.1, changed.klClip());
    assertEquals(13, changed.firstQuasiNewtonStep());
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    assertEquals("mlbfgs", opt.name());
    assertEquals(2, opt.partialCount());
    assertEquals(0.999, opt.beta());
    assertEquals(50, opt.pairPeriod());
    assertEquals(10, opt.history());
    assertEquals(0.01, opt.sigmaLow());
    assertEquals(1.5, opt.sigmaHigh());
    assertEquals(0.99, opt.tau0());
    assertEquals(1e-12, opt.curvatureThreshold());
    assertEquals(0.9, opt.momentum());
    assertEquals(0, opt.weightDecay());
    assertEquals(MomentumLbfgs.DirectionScaling.KL_CLIP, opt.scaling());
    assertEquals(0.005, opt.klClip());
    assertEquals(99, opt.firstQuasiNewtonStep());
  }

  private static void assertRejects(Supplier<MomentumLbfgs> call, String badValue) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::get);
    assertTrue(e.getMessage().contains(badValue), e.getMessage());
  }
}
