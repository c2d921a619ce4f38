package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Sgd} against steps computed by hand. All inputs are dyadic (multiples of powers of two with
 * few significant bits) and so is every intermediate, so each step is exact in double precision and
 * asserted exactly.
 */
class SgdTest {
  private static final double[] NONE = new double[0];

  private static final double[] THETA0 = {1, -2, 0.5};
  private static final double[] G1 = {0.5, 1, -4};
  private static final double[] G2 = {1, -1, 2};

  @Test
  void defaultsAndShape() {
    Sgd sgd = Sgd.defaults();
    assertEquals(0.9, sgd.momentum());
    assertFalse(sgd.nesterov());
    assertEquals(0.0, sgd.weightDecay());
    assertEquals("sgd", sgd.name());
    assertEquals(0, sgd.partialCount());
    SgdState state = sgd.init(0, THETA0.clone());
    assertEquals(24, state.bytes());
    assertArrayEquals(new double[3], state.velocity());
    assertEquals(0, sgd.partials(0, state, THETA0.clone(), G1.clone()).length);
    assertArrayEquals(new double[3], state.velocity(), "phase 1 leaves the state alone");
  }

  /**
   * &eta; = 0.25, &mu; = 0.5. Step 0: v = g1 = (0.5, 1, -4), &theta; = (1, -2, 0.5) - 0.25 v =
   * (0.875, -2.25, 1.5). Step 1: v = 0.5 (0.5, 1, -4) + (1, -1, 2) = (1.25, -0.5, 0),
   * &theta; = (0.875 - 0.3125, -2.25 + 0.125, 1.5 - 0) = (0.5625, -2.125, 1.5).
   */
  @Test
  void heavyBallTwoSteps() {
    Sgd sgd = Sgd.defaults().withMomentum(0.5);
    double[] theta = THETA0.clone();
    SgdState state = sgd.init(0, theta);
    sgd.update(0, state, theta, G1.clone(), NONE, 0.25);
    assertArrayEquals(new double[] {0.5, 1, -4}, state.velocity());
    assertArrayEquals(new double[] {0.875, -2.25, 1.5}, theta);
    sgd.update(1, state, theta, G2.clone(), NONE, 0.25);
    assertArrayEquals(new double[] {1.25, -0.5, 0}, state.velocity());
    assertArrayEquals(new double[] {0.5625, -2.125, 1.5}, theta);
  }

  /**
   * Same inputs, Nesterov: &theta; -= &eta; (g + &mu; v). Step 0: v = (0.5, 1, -4),
   * g + 0.5 v = (0.75, 1.5, -6), &theta; = (0.8125, -2.375, 2). Step 1: v = (1.25, -0.5, 0),
   * g + 0.5 v = (1.625, -1.25, 2), &theta; = (0.40625, -2.0625, 1.5). The velocity is the same as
   * for the heavy ball; only the step differs.
   */
  @Test
  void nesterovTwoSteps() {
    Sgd sgd = Sgd.defaults().withMomentum(0.5).withNesterov(true);
    double[] theta = THETA0.clone();
    SgdState state = sgd.init(0, theta);
    sgd.update(0, state, theta, G1.clone(), NONE, 0.25);
    assertArrayEquals(new double[] {0.5, 1, -4}, state.velocity());
    assertArrayEquals(new double[] {0.8125, -2.375, 2}, theta);
    sgd.update(1, state, theta, G2.clone(), NONE, 0.25);
    assertArrayEquals(new double[] {1.25, -0.5, 0}, state.velocity());
    assertArrayEquals(new double[] {0.40625, -2.0625, 1.5}, theta);
  }

  /**
   * Coupled weight decay &lambda; = 0.25 with &mu; = 0 (plain SGD): d = g + 0.25 &theta; =
   * (0.75, 0.5, -3.875), &theta; = &theta; - 0.25 d = (0.8125, -2.125, 1.46875). With &mu; = 0 the
   * Nesterov flag changes nothing.
   */
  @Test
  void coupledWeightDecayWithoutMomentum() {
    for (boolean nesterov : new boolean[] {false, true}) {
      Sgd sgd = Sgd.defaults().withMomentum(0).withNesterov(nesterov).withWeightDecay(0.25);
      double[] theta = THETA0.clone();
      sgd.update(0, sgd.init(0, theta), theta, G1.clone(), NONE, 0.25);
      assertArrayEquals(new double[] {0.8125, -2.125, 1.46875}, theta, "nesterov " + nesterov);
    }
  }

  /**
   * The decay term goes through the velocity (torch.optim.SGD's coupled form). &lambda; = 0.25,
   * &mu; = 0.5, &eta; = 0.25. Step 0 as above: v = (0.75, 0.5, -3.875), &theta; = (0.8125, -2.125,
   * 1.46875). Step 1: d = g2 + 0.25 &theta; = (1.203125, -1.53125, 2.3671875), v = 0.5 v + d =
   * (1.578125, -1.28125, 0.4296875), &theta; -= 0.25 v: (0.41796875, -1.8046875, 1.361328125).
   */
  @Test
  void coupledWeightDecayPassesThroughTheVelocity() {
    Sgd sgd = Sgd.defaults().withMomentum(0.5).withWeightDecay(0.25);
    double[] theta = THETA0.clone();
    SgdState state = sgd.init(0, theta);
    sgd.update(0, state, theta, G1.clone(), NONE, 0.25);
    assertArrayEquals(new double[] {0.75, 0.5, -3.875}, state.velocity());
    assertArrayEquals(new double[] {0.8125, -2.125, 1.46875}, theta);
    sgd.update(1, state, theta, G2.clone(), NONE, 0.25);
    assertArrayEquals(new double[] {1.578125, -1.28125, 0.4296875}, state.velocity());
    assertArrayEquals(new double[] {0.41796875, -1.8046875, 1.361328125}, theta);
  }

  @Test
  void theGradientIsNotModifiedAndBlocksAreIndependent() {
    Sgd sgd = Sgd.defaults().withWeightDecay(0.5);
    double[] gradient = G1.clone();
    double[] a = THETA0.clone();
    double[] b = THETA0.clone();
    SgdState sa = sgd.init(0, a);
    SgdState sb = sgd.init(1, b);
    sgd.update(0, sa, a, gradient, NONE, 0.1);
    assertArrayEquals(G1, gradient);
    assertArrayEquals(new double[3], sb.velocity());
    sgd.update(0, sb, b, gradient, NONE, 0.1);
    assertArrayEquals(a, b);
    assertArrayEquals(sa.velocity(), sb.velocity());
  }

  @Test
  void aZeroLearningRateMovesNothingButTheVelocity() {
    Sgd sgd = Sgd.defaults();
    double[] theta = THETA0.clone();
    SgdState state = sgd.init(0, theta);
    sgd.update(0, state, theta, G1.clone(), NONE, 0);
    assertArrayEquals(THETA0, theta);
    assertArrayEquals(G1, state.velocity());
  }

  /**
   * f(&theta;) = &frac12; &Sigma; a<sub>i</sub> &theta;<sub>i</sub>&sup2; with a = (1, 2, 5), exact
   * gradients, &eta; = 0.1, &mu; = 0.9. All three modes (&eta;a = 0.1, 0.2, 0.5) satisfy
   * (1 + &mu; - &eta;a)&sup2; &lt; 4&mu;, so the heavy ball contracts at &radic;&mu;
   * &asymp; 0.949 per step and 400 steps give about 0.949^400 &asymp; 1e-9 (measured 7e-10); Nesterov
   * is faster. The bound 1e-6 leaves three orders of margin.
   */
  @Test
  void convergesOnAQuadratic() {
    for (boolean nesterov : new boolean[] {false, true}) {
      Sgd sgd = Sgd.defaults().withNesterov(nesterov);
      double[] theta = minimizeQuadratic(sgd, LearningRateSchedule.constant(0.1), 400);
      for (double x : theta) {
        assertTrue(Math.abs(x) < 1e-6, "nesterov " + nesterov + ": " + x);
      }
    }
  }

  /** Runs {@code steps} steps on &frac12; &Sigma; a<sub>i</sub> &theta;<sub>i</sub>&sup2;, a = (1, 2, 5). */
  static double[] minimizeQuadratic(StochasticOptimizer optimizer, LearningRateSchedule lr,
      int steps) {
    double[] a = {1, 2, 5};
    double[] theta = {1, -2, 0.5};
    OptimizerState state = optimizer.init(0, theta);
    double[] gradient = new double[3];
    for (int t = 0; t < steps; t++) {
      for (int i = 0; i < 3; i++) {
        gradient[i] = a[i] * theta[i];
      }
      optimizer.update(t, state, theta, gradient, NONE, lr.at(t));
    }
    return theta;
  }

  @Test
  void withMethodsCopy() {
    Sgd defaults = Sgd.defaults();
    Sgd changed = defaults.withMomentum(0.5).withNesterov(true).withWeightDecay(1e-4);
    assertEquals(Sgd.defaults(), defaults);
    assertEquals(0.5, changed.momentum());
    assertTrue(changed.nesterov());
    assertEquals(1e-4, changed.weightDecay());
    assertEquals("Sgd{momentum=0.5, nesterov=true, weightDecay=1.0E-4}", changed.toString());
  }

  @Test
  void invalidArgumentsNameTheBadValue() {
    Sgd sgd = Sgd.defaults();
    assertMessage("momentum must be in [0, 1), but was: 1.0", () -> sgd.withMomentum(1));
    assertMessage("momentum must be in [0, 1), but was: -0.1", () -> sgd.withMomentum(-0.1));
    assertMessage("weight decay must be finite and >= 0, but was: -1.0",
        () -> sgd.withWeightDecay(-1));
    assertMessage("weight decay must be finite and >= 0, but was: NaN",
        () -> sgd.withWeightDecay(Double.NaN));
    double[] theta = THETA0.clone();
    SgdState state = sgd.init(0, theta);
    assertMessage("learning rate must be finite and >= 0, but was: -0.1",
        () -> sgd.update(0, state, theta, G1, NONE, -0.1));
    assertMessage("step must be >= 0, but was: -1",
        () -> sgd.update(-1, state, theta, G1, NONE, 0.1));
    assertMessage("theta, gradient and state must have the same length, but were: 3, 2, 3",
        () -> sgd.update(0, state, theta, new double[2], NONE, 0.1));
    assertMessage("Sgd needs an SgdState, but was: org.lbfgsbeam.core.stochastic.AdamState",
        () -> sgd.update(0, new AdamState(3), theta, G1, NONE, 0.1));
    assertMessage("block size must be >= 0, but was: -1", () -> new SgdState(-1));
    assertArrayEquals(THETA0, theta, "failed calls leave theta alone");
  }

  private static void assertMessage(String expected, Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
