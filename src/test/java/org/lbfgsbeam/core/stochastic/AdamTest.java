package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Adam} against steps computed by hand from the closed forms of the moments. The parameters are
 * below 1 in magnitude, so one ulp of &theta; is at most 1.1e-16 and the tolerance 1e-15 allows the few
 * roundings by which the optimiser's order of operations differs from the closed form, nothing more.
 */
class AdamTest {
  private static final double[] NONE = new double[0];
  private static final double TOL = 1e-15;
  private static final double EPS = 1e-8;

  private static final double[] THETA0 = {0.5, -0.25, 0.75};
  private static final double[] G1 = {0.5, 0.125, -4};
  private static final double[] G2 = {-0.25, 0.5, 2};

  @Test
  void defaultsAndShape() {
    Adam adam = Adam.defaults();
    assertEquals(0.9, adam.beta1());
    assertEquals(0.999, adam.beta2());
    assertEquals(1e-8, adam.epsilon());
    assertEquals(0.0, adam.weightDecay());
    assertFalse(adam.decoupledWeightDecay());
    assertEquals("adam", adam.name());
    assertEquals("adamw", adam.withDecoupledWeightDecay(0.01).name());
    assertEquals(0, adam.partialCount());
    AdamState state = adam.init(0, THETA0.clone());
    assertEquals(48, state.bytes());
    assertEquals(0, adam.partials(0, state, THETA0.clone(), G1.clone()).length);
    assertArrayEquals(new double[3], state.firstMoment());
    assertArrayEquals(new double[3], state.secondMoment());
  }

  /**
   * Step 0: m = 0.1 g, v = 0.001 g&sup2;, and the bias corrections 1 - 0.9 and 1 - 0.999 undo the
   * factors, so m&#770; = g, v&#770; = g&sup2; and &theta; -= &eta; g/(|g| + &epsilon;): a step of
   * almost exactly &eta; = 0.1 against the sign of every coordinate, whatever its gradient's size
   * (0.125 or 4). Without the correction the step would be 0.1 &middot; 0.1/&radic;0.001 &asymp; 0.32.
   */
  @Test
  void firstStepIsSignLikeThanksToBiasCorrection() {
    Adam adam = Adam.defaults();
    double[] theta = THETA0.clone();
    AdamState state = adam.init(0, theta);
    adam.update(0, state, theta, G1.clone(), NONE, 0.1);
    for (int i = 0; i < 3; i++) {
      double g = G1[i];
      // (1 - 0.9) and (1 - 0.999) differ from 0.1 and 0.001 by a few ulps: compare relatively
      assertEquals(0.1 * g, state.firstMoment()[i], 1e-15 * Math.abs(0.1 * g), "m " + i);
      assertEquals(0.001 * g * g, state.secondMoment()[i], 1e-15 * 0.001 * g * g, "v " + i);
      assertEquals(THETA0[i] - 0.1 * g / (Math.abs(g) + EPS), theta[i], TOL, "theta " + i);
    }
    assertArrayEquals(new double[] {0.4, -0.35, 0.85}, theta, 1e-8);
  }

  /**
   * Step 1 from the closed forms: m&#770; = (0.9 &middot; 0.1 g1 + 0.1 g2)/(1 - 0.9&sup2;) =
   * (0.09 g1 + 0.1 g2)/0.19 and v&#770; = (0.999 &middot; 0.001 g1&sup2; + 0.001 g2&sup2;)/(1 -
   * 0.999&sup2;) = (0.000999 g1&sup2; + 0.001 g2&sup2;)/0.001999.
   */
  @Test
  void secondStepFromTheClosedForm() {
    Adam adam = Adam.defaults();
    double[] theta = THETA0.clone();
    AdamState state = adam.init(0, theta);
    adam.update(0, state, theta, G1.clone(), NONE, 0.1);
    double[] after0 = theta.clone();
    adam.update(1, state, theta, G2.clone(), NONE, 0.05);
    for (int i = 0; i < 3; i++) {
      double mHat = (0.09 * G1[i] + 0.1 * G2[i]) / 0.19;
      double vHat = (0.000999 * G1[i] * G1[i] + 0.001 * G2[i] * G2[i]) / 0.001999;
      assertEquals(after0[i] - 0.05 * mHat / (Math.sqrt(vHat) + EPS), theta[i], TOL, "theta " + i);
    }
  }

  /** The step argument drives the bias correction: the same first update labelled step 9 is smaller. */
  @Test
  void theStepArgumentIsTheBiasCorrectionCounter() {
    Adam adam = Adam.defaults();
    double[] theta = THETA0.clone();
    adam.update(9, adam.init(0, theta), theta, G1.clone(), NONE, 0.1);
    for (int i = 0; i < 3; i++) {
      double g = G1[i];
      double mHat = 0.1 * g / (1 - Math.pow(0.9, 10));
      double vHat = 0.001 * g * g / (1 - Math.pow(0.999, 10));
      assertEquals(THETA0[i] - 0.1 * mHat / (Math.sqrt(vHat) + EPS), theta[i], TOL, "theta " + i);
    }
  }

  /**
   * &lambda; = 1, &eta; = 0.1, step 0. Coupled: g' = g + &theta; = (1, -0.125, -3.25), whose second
   * coordinate has the opposite sign of g, and the step is 0.1 g'/(|g'| + &epsilon;) &asymp;
   * (0.1, -0.1, -0.1): &theta; &asymp; (0.4, -0.15, 0.85). Decoupled: &theta; -= 0.1 (g/(|g| + &epsilon;)
   * + &theta;) &asymp; (0.5 - 0.15, -0.25 - 0.075, 0.75 + 0.025) = (0.35, -0.325, 0.775). Without
   * decay: (0.4, -0.35, 0.85).
   */
  @Test
  void coupledAndDecoupledWeightDecayDiffer() {
    double[] coupled = THETA0.clone();
    Adam l2 = Adam.defaults().withWeightDecay(1);
    l2.update(0, l2.init(0, coupled), coupled, G1.clone(), NONE, 0.1);
    double[] decoupled = THETA0.clone();
    Adam adamW = Adam.defaults().withDecoupledWeightDecay(1);
    adamW.update(0, adamW.init(0, decoupled), decoupled, G1.clone(), NONE, 0.1);
    for (int i = 0; i < 3; i++) {
      double gc = G1[i] + THETA0[i];
      assertEquals(THETA0[i] - 0.1 * gc / (Math.abs(gc) + EPS), coupled[i], TOL, "coupled " + i);
      double gd = G1[i];
      assertEquals(THETA0[i] - 0.1 * (gd / (Math.abs(gd) + EPS) + THETA0[i]), decoupled[i], TOL,
          "decoupled " + i);
    }
    assertArrayEquals(new double[] {0.4, -0.15, 0.85}, coupled, 1e-8);
    assertArrayEquals(new double[] {0.35, -0.325, 0.775}, decoupled, 1e-8);
  }

  /**
   * With a zero gradient the moments stay 0 and AdamW only shrinks: &theta; - 0.25 &middot; 0.5 &theta;
   * = 0.875 &theta;, exact for these dyadic values. The coupled form instead takes a sign-like step of
   * &eta; towards 0 on the decay gradient &lambda;&theta;.
   */
  @Test
  void decoupledDecayAloneShrinksByOneMinusLrLambda() {
    Adam adamW = Adam.defaults().withDecoupledWeightDecay(0.5);
    double[] theta = THETA0.clone();
    AdamState state = adamW.init(0, theta);
    adamW.update(0, state, theta, new double[3], NONE, 0.25);
    assertArrayEquals(new double[] {0.4375, -0.21875, 0.65625}, theta);
    assertArrayEquals(new double[3], state.firstMoment());

    Adam l2 = Adam.defaults().withWeightDecay(0.5);
    double[] coupled = THETA0.clone();
    l2.update(0, l2.init(0, coupled), coupled, new double[3], NONE, 0.25);
    assertArrayEquals(new double[] {0.25, 0.0, 0.5}, coupled, 1e-7);
  }

  @Test
  void theLastWeightDecayCallWins() {
    Adam a = Adam.defaults().withWeightDecay(0.1).withDecoupledWeightDecay(0.2);
    assertTrue(a.decoupledWeightDecay());
    assertEquals(0.2, a.weightDecay());
    Adam b = a.withWeightDecay(0.3);
    assertFalse(b.decoupledWeightDecay());
    assertEquals(0.3, b.weightDecay());
    assertEquals("Adam{beta1=0.9, beta2=0.999, epsilon=1.0E-8, weightDecay=0.3 (coupled)}",
        b.toString());
  }

  /**
   * f(&theta;) = &frac12; &Sigma; a<sub>i</sub> &theta;<sub>i</sub>&sup2;, a = (1, 2, 5), exact
   * gradients, &eta; = 0.1 constant: max |&theta;<sub>i</sub>| is 1.7e-7 after 300 steps and 6e-10
   * after 400 (measured), so the bound 1e-6 at 400 steps has three orders of margin.
   */
  @Test
  void convergesOnAQuadratic() {
    double[] theta =
        SgdTest.minimizeQuadratic(Adam.defaults(), LearningRateSchedule.constant(0.1), 400);
    for (double x : theta) {
      assertTrue(Math.abs(x) < 1e-6, "theta " + x);
    }
  }

  @Test
  void invalidArgumentsNameTheBadValue() {
    Adam adam = Adam.defaults();
    assertMessage("beta1 must be in [0, 1), but was: 1.0", () -> adam.withBeta1(1));
    assertMessage("beta2 must be in [0, 1), but was: -0.1", () -> adam.withBeta2(-0.1));
    assertMessage("epsilon must be finite and positive, but was: 0.0", () -> adam.withEpsilon(0));
    assertMessage("weight decay must be finite and >= 0, but was: -0.01",
        () -> adam.withWeightDecay(-0.01));
    assertMessage("weight decay must be finite and >= 0, but was: Infinity",
        () -> adam.withDecoupledWeightDecay(Double.POSITIVE_INFINITY));
    double[] theta = THETA0.clone();
    AdamState state = adam.init(0, theta);
    assertMessage("learning rate must be finite and >= 0, but was: NaN",
        () -> adam.update(0, state, theta, G1, NONE, Double.NaN));
    assertMessage("step must be >= 0, but was: -3",
        () -> adam.update(-3, state, theta, G1, NONE, 0.1));
    assertMessage("theta, gradient and state must have the same length, but were: 4, 3, 3",
        () -> adam.update(0, state, new double[4], G1, NONE, 0.1));
    assertMessage("Adam needs an AdamState, but was: org.lbfgsbeam.core.stochastic.SgdState",
        () -> adam.update(0, new SgdState(3), theta, G1, NONE, 0.1));
    assertMessage("moments must have the same length, but were: 2 and 3",
        () -> AdamState.of(new double[2], new double[3]));
    assertArrayEquals(THETA0, theta, "failed calls leave theta alone");
    assertArrayEquals(new double[3], state.firstMoment(), "failed calls leave the state alone");
  }

  private static void assertMessage(String expected, Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
